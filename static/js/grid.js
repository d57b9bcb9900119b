/* Spreadsheet grids (the week of entries, the plans). Each editable cell is a small form that
   htmx posts on "change"; the server answers with the fresh cell and, out of band, the status
   line and the totals. This file only moves between cells, sums totals while typing, fills
   cells from a pasted column, and leaves alone a cell that changed again while it was saved.
   Markup: table[data-grid]; editable inputs carry data-col; totals carry data-sum (a selector
   of the inputs they add up in their tbody), data-digits and data-empty. */
(function () {
  "use strict";

  var EDITABLE = "table[data-grid] input[data-col]:not([readonly])";

  function isCell(element) {
    return Boolean(element && element.matches && element.matches(EDITABLE));
  }

  /* ---- totals while typing; the server's totals replace them once saved ---- */

  // "1 234,50" or "1234.50" → cents as an integer, so sums of money stay exact.
  function cents(text) {
    var clean = String(text || "").replace(/[\s\u00a0\u202f']/g, "").replace(",", ".");
    if (!/^[0-9]+(\.[0-9]{1,2})?$/.test(clean)) return null;
    var parts = clean.split(".");
    return parseInt(parts[0], 10) * 100 + (parts[1] ? parseInt((parts[1] + "0").slice(0, 2), 10) : 0);
  }

  function sumUp(input) {
    var scope = input.closest("tbody");
    if (!scope) return;
    scope.querySelectorAll("[data-sum]").forEach(function (total) {
      var sum = 0;
      var any = false;
      scope.querySelectorAll(total.dataset.sum).forEach(function (cell) {
        var value = cents(cell.value);
        if (value !== null) {
          sum += value;
          any = true;
        }
      });
      var digits = Number(total.dataset.digits || 0);
      total.textContent = !any && total.dataset.empty ? total.dataset.empty
        : new Intl.NumberFormat(document.documentElement.lang || "en", {
          minimumFractionDigits: digits,
          maximumFractionDigits: digits,
        }).format(sum / 100);
    });
  }

  /* ---- moving between cells: Tab is the browser's, Enter and arrows are ours ---- */

  function editableAt(tr, index) {
    var td = tr && tr.cells[index];
    var input = td && td.querySelector("input[data-col]");
    return isCell(input) ? input : null;
  }

  // The n-th editable cell below (n > 0) or above (n < 0) in the same column, rows without
  // one (headings, totals, read-only days) skipped.
  function vertical(input, n) {
    var td = input.closest("td");
    var rows = Array.prototype.slice.call(input.closest("table").querySelectorAll("tbody tr"));
    var step = n > 0 ? 1 : -1;
    var left = Math.abs(n);
    for (var r = rows.indexOf(td.parentElement) + step; r >= 0 && r < rows.length; r += step) {
      var target = editableAt(rows[r], td.cellIndex);
      if (target && --left === 0) return target;
    }
    return null;
  }

  function horizontal(input, n) {
    var td = input.closest("td");
    var step = n > 0 ? 1 : -1;
    var left = Math.abs(n);
    for (var c = td.cellIndex + step; c > 0 && c < td.parentElement.cells.length; c += step) {
      var target = editableAt(td.parentElement, c);
      if (target && --left === 0) return target;
    }
    return null;
  }

  // Left and right move the caret inside the text and leave the cell at its edges.
  function atEdge(input, end) {
    if (input.selectionStart !== input.selectionEnd) {
      return input.selectionStart === 0 && input.selectionEnd === input.value.length;
    }
    return end ? input.selectionEnd === input.value.length : input.selectionStart === 0;
  }

  function save(input) {
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!isCell(input) || event.altKey || event.ctrlKey || event.metaKey) return;
    var target = null;
    switch (event.key) {
      case "Enter": // also keeps the form from being submitted as a page
        event.preventDefault();
        target = vertical(input, event.shiftKey ? -1 : 1);
        if (!target && input.value !== input.defaultValue) save(input); // last row
        break;
      case "ArrowDown":
      case "ArrowUp":
        event.preventDefault();
        target = vertical(input, event.key === "ArrowDown" ? 1 : -1);
        break;
      case "ArrowLeft":
      case "ArrowRight":
        if (!atEdge(input, event.key === "ArrowRight")) return;
        event.preventDefault();
        target = horizontal(input, event.key === "ArrowRight" ? 1 : -1);
        break;
      default:
        return;
    }
    if (target) target.focus();
  });

  document.addEventListener("focusin", function (event) {
    if (isCell(event.target)) event.target.select();
  });

  document.addEventListener("input", function (event) {
    if (isCell(event.target)) sumUp(event.target);
  });

  // A block copied from a spreadsheet fills the cells below and to the right.
  document.addEventListener("paste", function (event) {
    var input = event.target;
    if (!isCell(input)) return;
    var text = (event.clipboardData || window.clipboardData).getData("text") || "";
    text = text.replace(/\r\n?/g, "\n").replace(/\n+$/, "");
    if (text.indexOf("\n") < 0 && text.indexOf("\t") < 0) return;
    event.preventDefault();
    text.split("\n").forEach(function (line, i) {
      var first = i === 0 ? input : vertical(input, i);
      line.split("\t").forEach(function (value, j) {
        var target = first && (j === 0 ? first : horizontal(first, j));
        if (!target) return;
        target.value = value.trim();
        sumUp(target);
        save(target);
      });
    });
  });

  /* ---- saving: htmx posts, the server answers; here only what htmx cannot know ---- */

  var seen = new WeakSet();

  function cellOf(event) {
    var form = event.detail.elt;
    var input = form && form.querySelector && form.querySelector("input[data-col]");
    return isCell(input) ? input : null;
  }

  function status(key, text) {
    var line = document.getElementById("grid-status");
    if (!line) return;
    line.textContent = text === undefined ? line.getAttribute("data-" + key) : text;
    line.className = "grid-status " + key;
  }

  // Changes waiting for their answer, per cell. htmx asks for confirmation again when a
  // queued request (hx-sync) starts, with the same triggering event: counted once.
  document.addEventListener("htmx:confirm", function (event) {
    var input = cellOf(event);
    var trigger = event.detail.triggeringEvent;
    if (!input || !trigger || seen.has(trigger)) return;
    seen.add(trigger);
    input.form.pending = (input.form.pending || 0) + 1;
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var input = cellOf(event);
    if (!input) return;
    input.dataset.sent = input.value;
    status("saving");
  });

  // A cell that changed again since it was sent keeps what was typed: the next answer brings
  // it. Swapping it out would also drop its queued request and stall the grid's queue.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var input = cellOf(event);
    if (input && (input.form.pending > 1 || input.value !== input.dataset.sent)) {
      event.detail.shouldSwap = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var input = cellOf(event);
    if (input) input.form.pending = Math.max(0, (input.form.pending || 1) - 1);
  });

  // Refusals (4xx/5xx, not swapped by htmx) and a lost connection: say so in the cell.
  function refused(input, message) {
    var td = input.closest("td");
    var msg = td.querySelector(".cell-msg") || document.createElement("span");
    msg.className = "cell-msg";
    msg.setAttribute("role", "alert");
    msg.textContent = message;
    td.appendChild(msg);
    td.classList.add("error");
    input.setAttribute("aria-invalid", "true");
    status("error", message);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var input = cellOf(event);
    if (!input) return;
    var xhr = event.detail.xhr;
    var plain = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0;
    refused(input, plain ? xhr.responseText : xhr.statusText);
  });

  document.addEventListener("htmx:sendError", function (event) {
    var input = cellOf(event);
    var line = document.getElementById("grid-status");
    if (input) refused(input, line ? line.getAttribute("data-offline") : "");
  });
})();
