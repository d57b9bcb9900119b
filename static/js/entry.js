/* Entry pages besides the week grid (grid.js): the day form's date picker and refusals, and
   the import's upload progress. Listeners sit on the document, so swapped-in forms need no
   re-binding. */
(function () {
  "use strict";

  /* ---- day form: picking a date opens it; a refusal says why ---- */

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[data-autosubmit]") && input.value) {
      input.form.requestSubmit();
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var form = event.detail.elt;
    var state = form && form.matches && form.matches("#day-form") && form.querySelector(".saved-state");
    if (state) {
      // A refused day form (edit window, scope) says why instead of silently doing nothing.
      state.textContent = event.detail.xhr.responseText;
      state.classList.add("error");
    }
  });

  /* ---- import: upload progress, then "processing" until the answer arrives ---- */

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest("#import-form");
    if (!form || !event.detail.lengthComputable) return;
    var bar = form.querySelector("#import-progress");
    var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    bar.value = percent;
    if (percent >= 100) {
      var state = form.querySelector(".js-upload-state");
      state.textContent = state.getAttribute("data-processing");
      bar.removeAttribute("value");
    }
  });
})();
