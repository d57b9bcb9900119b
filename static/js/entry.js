/* Entry pages besides the week grid (grid.js): the day form's date picker, refusals and
   per-field saving, and the import's upload progress. Listeners sit on the document, so
   swapped-in forms need no re-binding.

   The day form saves each value as its field is left, through the week grid's cell endpoint
   (the same write path, checks and history as a grid cell), so nothing typed waits for the
   Save button; the request survives leaving the page (keepalive). A value the server refused
   stays in its field, marked, and leaving the page then asks first. The Save button still
   sends the whole form (and works without JavaScript). */
(function () {
  "use strict";

  /* ---- day form: each field saved as it changes ---- */

  var numbers = window.kpiNumbers;
  var FIELD = "#day-form input.kpi-value:not([disabled])";
  var failed = new Map(); // field name → why the server did not take its value
  // One request at a time, in order, as the week grid's cells queue (hx-sync): two writes of
  // the same day never race.
  var queue = { busy: 0, last: Promise.resolve() };

  function digitsOf(input) {
    return input.getAttribute("inputmode") === "decimal" ? 2 : 0;
  }

  // "302877.40" → "302 877,40" in Russian, once the field is left (and as the page opens).
  function tidy(input, keep) {
    if (numbers) numbers.tidy(input, keep, digitsOf(input));
  }

  function tidyForm() {
    var form = document.getElementById("day-form");
    if (form) form.querySelectorAll("input.kpi-value").forEach(function (input) { tidy(input); });
  }

  function dayStatus(form, key, text) {
    var state = form.querySelector(".saved-state");
    if (!state) return;
    state.textContent = text;
    state.className = "saved-state " + key;
  }

  function fieldError(input, message) {
    var row = input.closest(".entry-row");
    var msg = row.querySelector(".field-error");
    if (message) {
      if (!msg) {
        msg = document.createElement("span");
        msg.className = "field-error";
        msg.id = input.id + "-error";
        msg.setAttribute("role", "alert");
        row.appendChild(msg);
      }
      msg.textContent = message;
      row.classList.add("has-error");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", msg.id);
    } else {
      if (msg) msg.remove();
      row.classList.remove("has-error");
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  }

  // The status line sums up every field: saving while any is on its way, "not saved" while
  // any was refused, "saved at" only when all are in.
  function summary(form) {
    if (queue.busy) return dayStatus(form, "saving", form.getAttribute("data-saving"));
    if (failed.size) {
      var reason = Array.from(failed.values()).pop();
      var text = form.getAttribute("data-not-saved").split("{reason}").join(reason);
      return dayStatus(form, "error", text);
    }
    var time = new Intl.DateTimeFormat(document.documentElement.lang || "en", {
      hour: "2-digit", minute: "2-digit", hour12: false,
    }).format(new Date());
    dayStatus(form, "saved", form.getAttribute("data-saved").split("{time}").join(time));
  }

  // The cell endpoint answers with a week-grid cell: saved (its text as stored) or an error
  // (its message); a refusal (4xx/5xx) is plain text.
  function answer(input, response, html) {
    var form = input.form;
    var reason = "";
    if (!response.ok) {
      var plain = (response.headers.get("Content-Type") || "").indexOf("text/plain") === 0;
      reason = plain ? html : response.statusText;
    } else {
      var doc = new DOMParser().parseFromString("<table><tr>" + html + "</tr></table>", "text/html");
      var td = doc.querySelector("td");
      var cell = td && td.querySelector("input.cell-input");
      if (td && td.classList.contains("saved") && cell) {
        if (numbers.key(numbers.parse(input.value)) === numbers.key(numbers.parse(cell.value))) {
          var stored = numbers.parse(cell.value);
          input.defaultValue = stored ? numbers.format(stored, digitsOf(input)) : cell.value;
          tidy(input);
        }
        failed.delete(input.name);
        fieldError(input, "");
        return;
      }
      var msg = doc.querySelector(".cell-msg");
      reason = msg ? msg.textContent.trim() : "";
      // Far above the usual: kept only once confirmed, which the whole form's Save offers.
      if (doc.querySelector(".cell-confirm")) reason += " " + (form.getAttribute("data-confirm-hint") || "");
    }
    failed.delete(input.name);
    failed.set(input.name, reason);
    fieldError(input, reason);
  }

  function send(input) {
    var form = input.form;
    var holder = input.closest("[data-channel]");
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    data.append("date", form.querySelector("[name=date]").value);
    var manager = form.querySelector("input[type=hidden][name=manager]");
    if (manager) data.append("manager", manager.value);
    data.append("channel", holder.getAttribute("data-channel"));
    data.append("code", holder.getAttribute("data-code"));
    var canonical = numbers ? numbers.parse(input.value) : input.value;
    data.append("value", canonical === null ? input.value : canonical);
    return fetch(form.getAttribute("data-cell-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "HX-Request": "true" },
      keepalive: true, // finishes even when the manager goes on to another page
    }).then(function (response) {
      return response.text().then(function (html) { answer(input, response, html); });
    }, function () {
      var reason = form.getAttribute("data-offline");
      failed.delete(input.name);
      failed.set(input.name, reason);
      fieldError(input, reason);
    });
  }

  function autosave(input) {
    var form = input.form;
    if (!form.getAttribute("data-cell-url") || !input.closest("[data-channel]")) return;
    queue.busy += 1;
    summary(form);
    queue.last = queue.last.then(function () { return send(input); }).catch(function () {
      // a broken answer must not stall the queue; the field keeps its value and mark
    }).then(function () {
      queue.busy -= 1;
      summary(form);
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(FIELD)) autosave(event.target);
  });

  // The Save button (or Enter) sends the whole form once the fields on their way are in,
  // so the two never write the same day at once.
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== "day-form") return;
    if (!queue.busy) return;
    event.preventDefault();
    queue.last.then(function () { event.detail.issueRequest(true); });
  });

  document.addEventListener("focusout", function (event) {
    if (event.target.matches && event.target.matches(FIELD)) tidy(event.target, true);
  });

  // Escape: the field's edit undone, back to what was saved.
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Escape" || !(input.matches && input.matches(FIELD))) return;
    if (input.value !== input.defaultValue) {
      event.preventDefault();
      input.value = input.defaultValue;
      input.select();
    }
  });

  // A value the server refused, or one still on its way, is not silently dropped.
  window.addEventListener("beforeunload", function (event) {
    var form = document.getElementById("day-form");
    var refused = Array.from(failed.keys()).some(function (name) {
      return form && form.querySelector('[name="' + name + '"][aria-invalid]');
    });
    if (!refused) return;
    event.preventDefault();
    event.returnValue = form.getAttribute("data-leave");
  });

  // The whole form answered (Save button): it is the truth now.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "day-form") {
      failed.clear();
      tidyForm();
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", tidyForm);
  else tidyForm();

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
      var template = form.getAttribute("data-not-saved") || "{reason}";
      state.textContent = template.split("{reason}").join(event.detail.xhr.responseText);
      state.className = "saved-state error";
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
