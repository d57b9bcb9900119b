/* What-if planner: each lever's slider mirrors its number input. The sliders carry no name
   and stay hidden without JavaScript: the number inputs and the Recompute button then do
   the work. The form itself recomputes through htmx (hx-trigger on #whatif-form). */
(function () {
  "use strict";

  var RANGES = "input[type=range][data-for]";

  function showSliders() {
    document.querySelectorAll(RANGES).forEach(function (range) {
      var number = document.getElementById(range.dataset.for);
      if (number) {
        range.value = number.value;
        range.hidden = false;
      }
    });
  }

  // Capture phase: the number input has its new value before htmx reads the form.
  document.addEventListener(
    "input",
    function (event) {
      var target = event.target;
      if (target.matches && target.matches(RANGES)) {
        var number = document.getElementById(target.dataset.for);
        if (number) {
          number.value = target.value;
        }
      } else if (target.dataset && target.dataset.range) {
        var range = document.getElementById(target.dataset.range);
        if (range && target.value !== "") {
          range.value = target.value;
        }
      }
    },
    true
  );

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showSliders);
  } else {
    showSliders();
  }
})();
