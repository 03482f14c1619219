/* mlcards: folded details of card and scorecard pages.
   - Printing (or saving as PDF) shows every fold open; they close again afterwards.
   - A link to an anchor inside a closed fold opens the folds around it. */
(function () {
  "use strict";
  var opened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      d.open = true;
      opened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
  function reveal() {
    var id = location.hash.slice(1);
    if (!id) return;
    var target = document.getElementById(decodeURIComponent(id));
    if (!target) return;
    var fold = target.closest("details");
    if (!fold) return;
    for (; fold; fold = fold.parentElement && fold.parentElement.closest("details")) {
      fold.open = true;
    }
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", reveal);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reveal);
  } else {
    reveal();
  }
})();
