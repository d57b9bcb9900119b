/* Entry pages: keyboard moves and live totals in the week grid, paste of a spreadsheet
   column, save states, the date picker and the import's upload progress.
   Listeners sit on the document, so cells swapped in by htmx need no re-binding. */
(function () {
  "use strict";

  var CELL = "input.cell-input";
  var EDITABLE = "input.cell-input:not([readonly])";

  function lang() {
    return document.documentElement.lang || "en";
  }

  // "1 234,50" or "1234.50" → cents as an integer, so sums of money stay exact.
  function cents(text) {
    var clean = String(text || "").replace(/[\s\u00a0\u202f']/g, "").replace(",", ".");
    if (!/^[0-9]+(\.[0-9]{1,2})?$/.test(clean)) return 0;
    var parts = clean.split(".");
    return parseInt(parts[0], 10) * 100 + (parts[1] ? parseInt((parts[1] + "0").slice(0, 2), 10) : 0);
  }

  function format(centsValue, decimal) {
    var digits = decimal ? 2 : 0;
    return new Intl.NumberFormat(lang(), {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(centsValue / 100);
  }

  /* ---- week grid: totals ---- */

  function rowTotal(tr) {
    var cell = tr.querySelector("[data-row-total]");
    if (!cell) return;
    var sum = 0;
    tr.querySelectorAll(CELL).forEach(function (input) {
      sum += cents(input.value);
    });
    cell.textContent = format(sum, tr.hasAttribute("data-decimal"));
  }

  function columnTotals(tbody) {
    var totalsRow = tbody.querySelector("tr.col-totals");
    if (!totalsRow) return;
    var totals = totalsRow.querySelectorAll("[data-col-total]");
    var sums = [];
    for (var i = 0; i < totals.length; i++) sums.push(0);
    tbody.querySelectorAll("tr.count-row").forEach(function (tr) {
      tr.querySelectorAll(CELL).forEach(function (input) {
        // cellIndex 0 is the row label.
        var index = input.closest("td").cellIndex - 1;
        var value = cents(input.value);
        if (index < sums.length - 1) sums[index] += value;
        sums[sums.length - 1] += value;
      });
    });
    totals.forEach(function (cell, i) {
      cell.textContent = format(sums[i], false);
    });
  }

  function refreshTotals(input) {
    var tr = input.closest("tr");
    var tbody = input.closest("tbody");
    if (tr) rowTotal(tr);
    if (tbody) columnTotals(tbody);
  }

  /* ---- week grid: moving between cells ---- */

  function gridRows(input) {
    var table = input.closest("table.grid");
    return table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr")) : [];
  }

  function editableAt(tr, index) {
    var td = tr && tr.cells[index];
    return td ? td.querySelector(EDITABLE) : null;
  }

  // The n-th editable cell below (n > 0) or above (n < 0) in the same column.
  function vertical(input, n) {
    var rows = gridRows(input);
    var td = input.closest("td");
    var r = rows.indexOf(td.parentElement);
    var step = n > 0 ? 1 : -1;
    var left = Math.abs(n);
    for (r += step; r >= 0 && r < rows.length; r += step) {
      var target = editableAt(rows[r], td.cellIndex);
      if (target && --left === 0) return target;
    }
    return null;
  }

  function horizontal(input, n) {
    var td = input.closest("td");
    var tr = td.parentElement;
    var step = n > 0 ? 1 : -1;
    var left = Math.abs(n);
    for (var c = td.cellIndex + step; c > 0 && c < tr.cells.length; c += step) {
      var target = editableAt(tr, c);
      if (target && --left === 0) return target;
    }
    return null;
  }

  function go(target) {
    if (target) {
      target.focus();
      target.select();
    }
  }

  // Like a spreadsheet: a cell reached from another cell is in "enter" mode, where left and
  // right arrows move to the next cell; a click or F2 puts it in "edit" mode, where they move
  // the caret until it reaches the start or the end of the text.
  function arrowMoves(input, forward) {
    if (input.dataset.mode !== "edit") return true;
    var caret = forward ? input.selectionEnd : input.selectionStart;
    return forward ? caret >= input.value.length : caret <= 0;
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(EDITABLE)) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var target = null;
    switch (event.key) {
      case "Enter":
        event.preventDefault();
        target = vertical(input, event.shiftKey ? -1 : 1);
        if (!target) input.dispatchEvent(new Event("change", { bubbles: true }));
        break;
      case "ArrowDown":
        event.preventDefault();
        target = vertical(input, 1);
        break;
      case "ArrowUp":
        event.preventDefault();
        target = vertical(input, -1);
        break;
      case "ArrowLeft":
        if (!arrowMoves(input, false)) return;
        event.preventDefault();
        target = horizontal(input, -1);
        break;
      case "ArrowRight":
        if (!arrowMoves(input, true)) return;
        event.preventDefault();
        target = horizontal(input, 1);
        break;
      case "F2":
        event.preventDefault();
        input.dataset.mode = "edit";
        input.setSelectionRange(input.value.length, input.value.length);
        return;
      default:
        return;
    }
    go(target);
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches(EDITABLE)) {
      event.target.dataset.mode = "enter";
      event.target.select();
    }
  });

  document.addEventListener("mouseup", function (event) {
    if (event.target.matches && event.target.matches(EDITABLE)) event.target.dataset.mode = "edit";
  });

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches(CELL)) refreshTotals(event.target);
  });

  // A column (or block) copied from a spreadsheet fills the cells below and to the right.
  document.addEventListener("paste", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(EDITABLE)) return;
    var text = (event.clipboardData || window.clipboardData).getData("text") || "";
    text = text.replace(/\r\n?/g, "\n").replace(/\n+$/, "");
    if (text.indexOf("\n") < 0 && text.indexOf("\t") < 0) return;
    event.preventDefault();
    text.split("\n").forEach(function (line, i) {
      var first = i === 0 ? input : vertical(input, i);
      if (!first) return;
      line.split("\t").forEach(function (value, j) {
        var target = j === 0 ? first : horizontal(first, j);
        if (!target) return;
        target.value = value.trim();
        refreshTotals(target);
        target.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
  });

  /* ---- week grid: saving / saved / error ---- */

  var pending = 0;
  var failed = false;

  function status(key) {
    var line = document.querySelector(".grid-status");
    if (!line) return;
    line.textContent = line.getAttribute("data-" + key) || "";
    line.className = "grid-status " + key;
  }

  function isCell(element) {
    return element && element.matches && element.matches(CELL);
  }

  // The input that sent the request: htmx re-targets some events at the swap target or,
  // once the input is swapped out, at its closest parent still on the page.
  function sender(event) {
    var config = event.detail.requestConfig;
    return (config && config.elt) || event.detail.elt;
  }

  function markError(input, message) {
    var td = input.closest("td");
    if (!td) return;
    td.classList.remove("saved");
    td.classList.add("error");
    var msg = td.querySelector(".cell-msg");
    if (!msg) {
      msg = document.createElement("span");
      msg.className = "cell-msg";
      msg.setAttribute("role", "alert");
      td.appendChild(msg);
    }
    msg.textContent = message;
    input.setAttribute("aria-invalid", "true");
    failed = true;
  }

  // Counted from the change, not from the request: queued requests (hx-sync) start later.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(EDITABLE)) return;
    pending += 1;
    input.closest("td").classList.remove("saved", "error");
    input.closest("td").classList.add("saving");
    status("saving");
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var input = event.detail.elt;
    if (isCell(input)) input.dataset.sent = input.value;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    // Once the input is swapped out this reaches us from its row instead.
    var input = sender(event);
    if (!isCell(input)) return;
    pending = Math.max(0, pending - 1);
    var td = input.closest("td");
    if (td) td.classList.remove("saving");
    if (pending === 0) {
      status(failed ? "error" : "saved");
      failed = false;
    }
  });

  // Cells are never swapped (hx-swap="none"): replacing an input would eat typing that
  // happened meanwhile and would stall htmx's request queue. The answer, a server-rendered
  // cell, lends its state, its message and the normalised value ("08" → "8").
  document.addEventListener("htmx:beforeSwap", function (event) {
    var input = sender(event);
    if (!isCell(input) || !event.detail.shouldSwap) return;
    var template = document.createElement("template");
    template.innerHTML = event.detail.serverResponse.trim();
    var fresh = template.content.querySelector("td");
    var td = input.closest("td");
    if (!fresh || !td) return;
    td.className = fresh.className;
    var oldMsg = td.querySelector(".cell-msg");
    if (oldMsg) oldMsg.remove();
    var msg = fresh.querySelector(".cell-msg");
    if (msg) td.appendChild(msg);
    var freshInput = fresh.querySelector("input");
    if (freshInput && document.activeElement !== input && input.value === input.dataset.sent) {
      input.value = freshInput.value;
      refreshTotals(input);
    }
    if (fresh.classList.contains("error")) {
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-invalid");
    }
  });

  // The server marks a refused value with this event (HX-Trigger), before the swap.
  document.addEventListener("cell-invalid", function () {
    failed = true;
  });

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var input = sender(event);
    var state = input && input.matches && input.matches("#day-form") && input.querySelector(".saved-state");
    if (state) {
      // A refused day form (edit window, scope) says why instead of silently doing nothing.
      state.textContent = xhr.responseText;
      state.classList.add("error");
      return;
    }
    if (!isCell(input)) return;
    var type = xhr.getResponseHeader("Content-Type") || "";
    var message = type.indexOf("text/plain") === 0 ? xhr.responseText : xhr.statusText;
    markError(input, message);
  });

  document.addEventListener("htmx:sendError", function (event) {
    var input = sender(event);
    if (!isCell(input)) return;
    var line = document.querySelector(".grid-status");
    markError(input, line ? line.getAttribute("data-offline") : "");
  });

  /* ---- day form: picking a date opens it ---- */

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[data-autosubmit]") && input.value) {
      input.form.requestSubmit();
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
