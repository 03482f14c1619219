/* mlcards: folds (<details>) and content tabs of card and scorecard pages.
   - Printing (or saving as PDF) shows every fold open; they close again afterwards
     (mlcards.css shows every tab's panel in print).
   - A link to an anchor inside a closed fold or a hidden tab opens the folds around
     it and selects its tab. */
(function () {
  "use strict";
  var opened = [];
  function selectTab(target) {
    var panel = target.closest(".mlcards-tab");
    for (; panel; panel = panel.parentElement.closest(".mlcards-tab")) {
      var set = panel.parentElement;
      var panels = Array.prototype.filter.call(set.children, function (c) {
        return c.classList.contains("mlcards-tab");
      });
      var inputs = set.querySelectorAll(":scope > .mlcards-tab-labels input");
      var input = inputs[panels.indexOf(panel)];
      if (input) input.checked = true;
    }
  }
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
    var tab = target.closest(".mlcards-tab");
    if (!fold && !tab) return;
    for (; fold; fold = fold.parentElement && fold.parentElement.closest("details")) {
      fold.open = true;
    }
    selectTab(target);
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", reveal);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reveal);
  } else {
    reveal();
  }
})();
