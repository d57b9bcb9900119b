// Plan grid: spreadsheet keys (Tab native, Enter / Shift+Enter down / up, arrows) and live
// team totals. Saving is htmx's job: each cell form posts itself on "change".
(function () {
  "use strict";

  const lang = document.documentElement.lang || "en";

  function inputAt(table, row, col) {
    return table.querySelector('.plan-input[data-row="' + row + '"][data-col="' + col + '"]');
  }

  function parse(text) {
    const clean = text.replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
    if (!clean) return 0;
    const value = Number(clean);
    return Number.isFinite(value) && value >= 0 ? value : NaN;
  }

  function format(value, kind) {
    if (Number.isNaN(value)) return "—";
    const digits = kind === "money" ? 2 : 0;
    return value.toLocaleString(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function recompute(block) {
    if (!block) return;
    block.querySelectorAll("[data-total-col]").forEach(function (cell) {
      const inputs = block.querySelectorAll('.plan-input[data-col="' + cell.dataset.totalCol + '"]');
      let total = 0;
      let any = false;
      inputs.forEach(function (input) {
        if (input.value.trim()) any = true;
        total += parse(input.value);
      });
      cell.textContent = any ? format(total, cell.dataset.kind) : "—";
    });
  }

  function caretAt(input, end) {
    if (input.selectionStart !== input.selectionEnd) {
      return input.selectionStart === 0 && input.selectionEnd === input.value.length;
    }
    return end ? input.selectionEnd === input.value.length : input.selectionStart === 0;
  }

  document.addEventListener("keydown", function (event) {
    const input = event.target.closest && event.target.closest(".plan-input");
    if (!input || event.altKey || event.ctrlKey || event.metaKey) return;
    const table = input.closest("table");
    const row = Number(input.dataset.row);
    const col = Number(input.dataset.col);
    let target = null;
    switch (event.key) {
      case "Enter":
        event.preventDefault();
        target = inputAt(table, event.shiftKey ? row - 1 : row + 1, col);
        if (!target) input.blur(); // last row: still save the cell
        break;
      case "ArrowDown":
        target = inputAt(table, row + 1, col);
        break;
      case "ArrowUp":
        target = inputAt(table, row - 1, col);
        break;
      case "ArrowLeft":
        if (caretAt(input, false)) target = inputAt(table, row, col - 1);
        break;
      case "ArrowRight":
        if (caretAt(input, true)) target = inputAt(table, row, col + 1);
        break;
      default:
        return;
    }
    if (target) {
      event.preventDefault();
      target.focus();
    }
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.classList && event.target.classList.contains("plan-input")) {
      event.target.select();
    }
  });

  document.addEventListener("input", function (event) {
    if (event.target.classList && event.target.classList.contains("plan-input")) {
      recompute(event.target.closest("tbody"));
    }
  });

  // A cell answered while the user is back in it and typing: keep what they type (the next
  // change saves it). Focus itself survives the swap because each input has an id.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    const input = event.detail.elt.querySelector && event.detail.elt.querySelector(".plan-input");
    if (input) input.dataset.sent = input.value;
  });

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    const input = target.querySelector && target.querySelector(".plan-input");
    if (input && document.activeElement === input && input.value !== input.dataset.sent) {
      event.detail.shouldSwap = false;
    }
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    const cell = event.detail.target;
    const block = document.getElementById(cell.id) ? document.getElementById(cell.id).closest("tbody") : null;
    recompute(block);
    const reason = document.querySelector("#" + CSS.escape(cell.id) + " .plan-reason");
    if (reason) reason.focus();
  });
})();
