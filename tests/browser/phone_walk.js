/* Runs in each page of the phone walk (tests/browser/test_phone_walk.py): what sticks out of
   the screen, wide tables without a sticky first column, and signals carried by colour only. */
(() => {
  const width = window.innerWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    const parentBox = el.parentElement.getBoundingClientRect();
    if (box.width && box.right > width + 0.5 && !(parentBox.right > width + 0.5)) {
      let inside = false;
      for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
        const style = getComputedStyle(up);
        if (["auto", "scroll", "hidden", "clip"].includes(style.overflowX)) { inside = true; break; }
      }
      if (!inside) out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}` +
        `${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""}` +
        ` right=${Math.round(box.right)}`);
    }
  }
  const tables = [];
  for (const table of document.querySelectorAll("table")) {
    const box = table.parentElement;
    if (table.offsetWidth <= box.clientWidth + 1) continue;
    const row = [...table.querySelectorAll("tbody tr")].find((tr) => tr.cells.length > 1);
    const first = row && row.cells[0];
    if (first && getComputedStyle(first).position !== "sticky")
      tables.push(`${table.className || table.id || "table"}: first column not sticky`);
  }
  // A signal in colour (green/red text, a graded conversion cell) also says it in text or
  // an icon: an arrow, a tick, a sign or a word.
  const colourOnly = [];
  const said = /[▲▼▽■✓✗⚠−+-]|\p{L}{3,}/u;
  for (const el of document.querySelectorAll(".good, .bad, .up, .down, .pace, .ok, .delta")) {
    if (!said.test(el.textContent)) colourOnly.push(`${el.className}: "${el.textContent.trim()}"`);
  }
  for (const cell of document.querySelectorAll("td.conv[style*='hsl(']")) {
    const hue = Number((cell.getAttribute("style").match(/hsl\((\d+)/) || [])[1]);
    if (hue !== 60 && !/[▲▼]/.test(cell.textContent)) colourOnly.push(`conversion cell: "${cell.textContent.trim()}"`);
  }
  return {
    colourOnly: colourOnly.slice(0, 5),
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: width,
    out: out.slice(0, 5),
    tables,
  };
})
