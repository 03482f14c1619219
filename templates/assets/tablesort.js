/* mlcards: sort the rows of tables inside .mlcards-sortable when a header is clicked.
   Numbers sort as numbers, everything else in natural order (versions, ISO dates);
   empty cells ("—") sort last. No dependencies, works offline. */
(function () {
  "use strict";
  var NUMBER = /^-?\d+(\.\d+)?(\s|$)/;

  function cellText(row, col) {
    var cell = row.cells[col];
    return cell ? cell.textContent.trim() : "";
  }

  function compare(a, b) {
    var emptyA = a === "" || a === "\u2014", emptyB = b === "" || b === "\u2014";
    if (emptyA || emptyB) { return emptyA === emptyB ? 0 : (emptyA ? 1 : -1); }
    if (NUMBER.test(a) && NUMBER.test(b)) { return parseFloat(a) - parseFloat(b); }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function sortTable(table, th, col) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
      return { row: row, key: cellText(row, col), index: i };
    });
    rows.sort(function (x, y) {
      var c = compare(x.key, y.key);
      if (c === 0) { return x.index - y.index; }
      var empty = x.key === "" || x.key === "\u2014" || y.key === "" || y.key === "\u2014";
      return ascending || empty ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function init() {
    var tables = document.querySelectorAll(".mlcards-sortable table");
    Array.prototype.forEach.call(tables, function (table) {
      if (table.getAttribute("data-mlcards-sortable")) { return; }
      table.setAttribute("data-mlcards-sortable", "1");
      var head = table.tHead && table.tHead.rows[0];
      if (!head) { return; }
      Array.prototype.forEach.call(head.cells, function (th, col) {
        th.setAttribute("tabindex", "0");
        th.setAttribute("title", "Sort by this column");
        th.addEventListener("click", function () { sortTable(table, th, col); });
        th.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            sortTable(table, th, col);
          }
        });
      });
    });
  }

  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
