// A <details class="fold-narrow"> holds what makes a page long on a phone (a section's explanation, a secondary
// table): folded there behind its one-line summary, open on a wider screen, where the page reads as it did before
// it was folded. Without this script every fold stays closed and opens with a click or Enter.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 760px)");

  function apply() {
    document.querySelectorAll("details.fold-narrow").forEach(function (fold) { fold.open = !narrow.matches; });
  }

  apply();
  if (narrow.addEventListener) { narrow.addEventListener("change", apply); }
})();
