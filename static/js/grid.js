/* Spreadsheet grids (the week of entries, the plans). Each editable cell is a small form that
   htmx posts on "change"; the server answers with the fresh cell and, out of band, the status
   line and the totals. This file moves between cells, sums totals while typing, shows numbers
   in the page's language, undoes a cell's edit on Escape, fills a channel's block from a
   pasted spreadsheet range (Ctrl+Z undoes it, through the same cell posts), keeps the status
   line truthful and leaves alone a cell that changed again while it was saved.
   Markup: table[data-grid]; editable inputs carry data-col (and data-digits when the grid
   shows them formatted); totals carry data-sum (a selector of the inputs they add up in their
   tbody), data-digits and data-empty. The number helpers are window.kpiNumbers, shared with
   the day form (entry.js). */
(function () {
  "use strict";

  var EDITABLE = "table[data-grid] input[data-col]:not([readonly])";
  var LANG = (document.documentElement.lang || "en").toLowerCase().slice(0, 2);

  function isCell(element) {
    return Boolean(element && element.matches && element.matches(EDITABLE));
  }

  /* ---- numbers: what people type or paste → one canonical text, and back for display ---- */

  // "1 234,50", "1,234.50", "1.234,50", "1234.5" (spaces, NBSP, narrow NBSP, apostrophes as
  // group separators) → "1234.50"-like canonical text; "" when empty; null when not a number.
  // A separator that repeats or comes before the other one groups thousands; a lone "1,234" is
  // 1234 in English and 1.234 in Russian. A leading minus is kept: the server explains why not.
  function parseNumber(text, lang) {
    var t = String(text === null || text === undefined ? "" : text)
      .replace(/[\s\u00a0\u202f\u2009']/g, "");
    if (t === "") return "";
    var sign = "";
    if (t.charAt(0) === "-") {
      sign = "-";
      t = t.slice(1);
    }
    if (!/^[0-9](?:[0-9.,]*[0-9])?$/.test(t) || t.length > 30) return null;
    var comma = t.split(",").length - 1;
    var dot = t.split(".").length - 1;
    var decimal = "";
    if (comma && dot) decimal = t.lastIndexOf(",") > t.lastIndexOf(".") ? "," : ".";
    else if (comma === 1 && !((lang || LANG) === "en" && /^[0-9]{1,3},[0-9]{3}$/.test(t))) decimal = ",";
    else if (dot === 1) decimal = ".";
    var whole = t;
    var fraction = "";
    if (decimal) {
      whole = t.slice(0, t.lastIndexOf(decimal));
      fraction = t.slice(t.lastIndexOf(decimal) + 1);
      if (!/^[0-9]+$/.test(fraction)) return null;
    }
    if (!/^[0-9]+$/.test(whole)) {
      var group = whole.replace(/[0-9]/g, "").charAt(0);
      var grouped = new RegExp("^[0-9]{1,3}(?:\\" + group + "[0-9]{3})+$");
      if (!grouped.test(whole)) return null;
      whole = whole.split(group).join("");
    }
    return sign + whole + (fraction ? "." + fraction : "");
  }

  // Canonical text → the same number always written the same way ("012.50" → "12.5").
  function key(canonical) {
    if (!canonical) return String(canonical);
    var parts = canonical.replace(/^(-?)0+(?=[0-9])/, "$1").split(".");
    var fraction = (parts[1] || "").replace(/0+$/, "");
    return parts[0] + (fraction ? "." + fraction : "");
  }

  // Canonical text → as shown in the page's language ("302 877,40"), when it fits the
  // places; otherwise (a wrong value the server refuses) as it was.
  function formatNumber(canonical, digits, lang) {
    if (!canonical || canonical.charAt(0) === "-") return canonical;
    var fraction = canonical.split(".")[1] || "";
    if (fraction.replace(/0+$/, "").length > digits) return canonical;
    return new Intl.NumberFormat(lang || LANG, {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(Number(canonical));
  }

  // A field's text in its display form (`digits` places, else its data-digits); `keep`
  // leaves what it was saved as alone (the value only: a typed, unsaved edit).
  function tidy(input, keep, digits) {
    if (digits === undefined && input.dataset.digits === undefined) return;
    var canonical = parseNumber(input.value);
    if (canonical === null || canonical === "") return;
    var text = formatNumber(canonical, digits === undefined ? Number(input.dataset.digits) : digits);
    if (text === input.value) return;
    if (!keep && input.value === input.defaultValue) input.defaultValue = text;
    input.value = text;
  }

  function tidyAll(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("input[data-digits]").forEach(function (input) {
      if (input !== document.activeElement) tidy(input);
    });
  }

  // A block copied from Excel, LibreOffice or Google Sheets → rows of trimmed values.
  function pasteRows(text) {
    var clean = String(text || "").replace(/\r\n?/g, "\n").replace(/\n+$/, "");
    if (!clean) return [];
    return clean.split("\n").map(function (line) {
      return line.split("\t").map(function (value) {
        var v = value.trim();
        if (v.length > 1 && v.charAt(0) === '"' && v.charAt(v.length - 1) === '"') {
          v = v.slice(1, -1).replace(/""/g, '"').trim();
        }
        return v;
      });
    });
  }

  window.kpiNumbers = {
    parse: parseNumber, format: formatNumber, key: key, tidy: tidy, pasteRows: pasteRows,
  };

  /* ---- totals while typing; the server's totals replace them once saved ---- */

  // Text → cents as an integer, so sums of money stay exact; null when not a sum-able number.
  function cents(text) {
    var canonical = parseNumber(text);
    if (!canonical || !/^[0-9]+(\.[0-9]{1,2})?$/.test(canonical)) return null;
    var parts = canonical.split(".");
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
        : new Intl.NumberFormat(LANG, {
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
    // A cell whose answer was swapped in a moment ago is wired by htmx only when the swap
    // settles: wire it now, or this change is lost (an undo right after a paste's answers).
    if (window.htmx && input.form) window.htmx.process(input.form);
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey &&
        (event.key === "z" || event.key === "Z") && undoPaste(input)) {
      event.preventDefault();
      return;
    }
    if (!isCell(input) || event.altKey || event.ctrlKey || event.metaKey) return;
    var target = null;
    switch (event.key) {
      case "Escape": // the cell's edit undone: back to what was saved
        if (input.value !== input.defaultValue) {
          event.preventDefault();
          input.value = input.defaultValue;
          sumUp(input);
          input.select();
        }
        return;
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

  // Once the cell is left, its number shows as the page's language writes it.
  document.addEventListener("focusout", function (event) {
    if (isCell(event.target)) tidy(event.target, true);
  });

  document.addEventListener("input", function (event) {
    if (isCell(event.target)) sumUp(event.target);
  });

  /* ---- paste: a spreadsheet range fills one channel's block, never more ---- */

  // Counts and money never mix: a week-grid row is one or the other, a plan column too.
  function kindOf(td) {
    var tr = td.parentElement;
    if (tr.classList.contains("money-row")) return "money";
    if (tr.classList.contains("count-row")) return "count";
    var head = td.closest("table").querySelector("thead tr");
    var th = head && head.cells[td.cellIndex];
    return th && th.classList.contains("money") ? "money" : "count";
  }

  function inputIn(td) {
    return td ? td.querySelector("input[data-col]") : null;
  }

  // The rows of the start cell's tbody from its own down, while they are of its kind.
  function blockRows(td) {
    var kind = kindOf(td);
    var rows = [];
    for (var tr = td.parentElement; tr; tr = tr.nextElementSibling) {
      var own = tr.cells[td.cellIndex];
      if (!inputIn(own) || kindOf(own) !== kind) break;
      rows.push(tr);
    }
    return rows;
  }

  // What a paste would do, worked out before anything is written: {writes, outside,
  // readonly, bad}; each write {input, text}. Values equal to the cell's are not rewritten.
  function pastePlan(start, rows) {
    var td = start.closest("td");
    var kind = kindOf(td);
    var block = blockRows(td);
    var plan = { writes: [], outside: 0, readonly: 0, bad: [] };
    rows.forEach(function (values, i) {
      values.forEach(function (value, j) {
        var tr = block[i];
        var cell = tr && tr.cells[td.cellIndex + j];
        var input = inputIn(cell);
        if (!input || kindOf(cell) !== kind) {
          plan.outside += 1;
          return;
        }
        if (value === "") return; // an empty spreadsheet cell leaves the value as it is
        if (!isCell(input)) {
          plan.readonly += 1;
          return;
        }
        var canonical = parseNumber(value);
        if (canonical === null) {
          plan.bad.push({ input: input, value: value });
          return;
        }
        if (key(canonical) === key(parseNumber(input.value))) return;
        var digits = input.dataset.digits === undefined ? null : Number(input.dataset.digits);
        var text = digits === null ? canonical : formatNumber(canonical, digits);
        plan.writes.push({ input: input, text: text });
      });
    });
    return plan;
  }

  var lastPaste = null;

  function note(text, bad) {
    var line = document.getElementById("paste-note");
    if (!line) return;
    line.textContent = text;
    line.className = "paste-note" + (bad ? " error" : "");
  }

  // The note's sentence `which` (a data- attribute, in the page's language), filled in.
  function phrase(which, values) {
    var line = document.getElementById("paste-note");
    var text = (line && line.getAttribute("data-" + which)) || "";
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(values[name]);
    });
    return text;
  }

  // Written by a paste or its undo: this is the cell's value now (Escape keeps it).
  function write(input, text) {
    input.defaultValue = text;
    input.value = text;
    input.closest("td").classList.remove("error");
    sumUp(input);
    save(input);
  }

  document.addEventListener("paste", function (event) {
    var input = event.target;
    if (!isCell(input)) return;
    var rows = pasteRows((event.clipboardData || window.clipboardData).getData("text"));
    if (rows.length < 2 && (!rows.length || rows[0].length < 2)) return; // one value: the browser's
    event.preventDefault();
    var plan = pastePlan(input, rows);
    lastPaste = plan.writes.map(function (w) {
      return { id: w.input.id, before: w.input.value, after: key(parseNumber(w.text)) };
    });
    plan.writes.forEach(function (w) {
      write(w.input, w.text);
    });
    var parts = [phrase("pasted", { n: plan.writes.length })];
    if (plan.outside) parts.push(phrase("outside", { n: plan.outside }));
    if (plan.readonly) parts.push(phrase("readonly", { n: plan.readonly }));
    plan.bad.forEach(function (b) {
      parts.push(phrase("bad", { value: b.value, cell: b.input.getAttribute("aria-label") }));
    });
    if (lastPaste.length) parts.push(phrase("undo"));
    note(parts.join(" "), plan.outside || plan.readonly || plan.bad.length);
  });

  // Ctrl+Z after a paste (and not inside a cell being edited): every cell it changed gets its
  // former value back, posted like any edit, so the history shows the paste and its undo.
  function undoPaste(target) {
    if (!lastPaste || !lastPaste.length) return false;
    if (target && target.matches && target.matches("input, textarea, select") &&
        !(isCell(target) && target.value === target.defaultValue)) {
      return false;
    }
    var restored = 0;
    var kept = 0;
    lastPaste.forEach(function (w) {
      var input = document.getElementById(w.id);
      if (!isCell(input) || key(parseNumber(input.value)) !== w.after) {
        kept += 1; // changed again since: the newer value stays
        return;
      }
      write(input, w.before);
      restored += 1;
    });
    lastPaste = null;
    var text = phrase("undone", { n: restored });
    if (kept) text += " " + phrase("kept", { n: kept });
    note(text, false);
    return true;
  }

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

  function pending() {
    var cells = document.querySelectorAll(EDITABLE);
    for (var i = 0; i < cells.length; i++) {
      if (cells[i].form && cells[i].form.pending) return true;
    }
    return false;
  }

  // After each answer: "saving" while others wait, and never "saved" while a cell is refused.
  function settle() {
    var line = document.getElementById("grid-status");
    if (!line) return;
    var refused = document.querySelectorAll("table[data-grid] td.error").length;
    if (pending()) status("saving");
    else if (refused > 1 || (refused && !line.classList.contains("error"))) {
      status("error", line.getAttribute("data-failed"));
    }
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

  // The server gets the number in one form whatever the page shows ("1,234.50" → "1234.50").
  document.addEventListener("htmx:configRequest", function (event) {
    var input = cellOf(event);
    if (!input) return;
    var canonical = parseNumber(input.value);
    if (canonical) event.detail.parameters.value = canonical;
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var input = cellOf(event);
    if (!input) return;
    input.dataset.sent = key(parseNumber(input.value));
    status("saving");
  });

  // A cell that changed again since it was sent keeps what was typed: the next answer brings
  // it. Swapping it out would also drop its queued request and stall the grid's queue.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var input = cellOf(event);
    if (input && (input.form.pending > 1 || key(parseNumber(input.value)) !== input.dataset.sent)) {
      event.detail.shouldSwap = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var input = cellOf(event);
    if (input) input.form.pending = Math.max(0, (input.form.pending || 1) - 1);
  });

  // After htmx has settled the answer's attributes (the status line's class among them).
  document.addEventListener("htmx:afterSettle", settle);

  document.addEventListener("htmx:load", function (event) {
    tidyAll(event.target);
  });

  // Refusals (4xx/5xx, not swapped by htmx) and a lost connection: say so in the cell.
  function refused(input, message, line) {
    var td = input.closest("td");
    var msg = td.querySelector(".cell-msg") || document.createElement("span");
    msg.className = "cell-msg";
    msg.setAttribute("role", "alert");
    msg.textContent = message;
    td.appendChild(msg);
    td.classList.add("error");
    input.setAttribute("aria-invalid", "true");
    if (line === undefined) {
      var template = document.getElementById("grid-status");
      template = template && template.getAttribute("data-not-saved");
      line = template ? template.split("{reason}").join(message) : message;
    }
    status("error", line);
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
    var offline = line ? line.getAttribute("data-offline") : "";
    if (input) refused(input, offline, offline); // already says "not saved"
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { tidyAll(document); });
  } else {
    tidyAll(document);
  }
})();
