// A table or card wider than its place scrolls inside it, with a shadow on the side that has more (brightline.css,
// no script needed). This adds the line saying so, and keyboard users must be able to scroll it too: each region
// that overflows gets a tab stop and a name (its caption or heading), and loses them again when the window grows
// wide enough to show it whole.
(function () {
  "use strict";
  var SELECTOR = "main .table-scroll, main .card, main table";

  function nameOf(element) {
    var caption = element.querySelector("caption");
    var heading = element.querySelector("h2, h3") || (element.closest("section") || element).querySelector("h2, h3");
    var text = (caption || heading || {}).textContent || "";
    return (text.trim() || "Table") + " (scrolls sideways)";
  }

  // The visible cue, above what scrolls (inside a card, as its first line, so the grid keeps its cells). Screen
  // readers hear "(scrolls sideways)" in the region's name instead.
  function addHint(element) {
    var hint = document.createElement("p");
    hint.className = "scroll-hint";
    hint.setAttribute("aria-hidden", "true");
    hint.textContent = element.matches(".card") ? "Scroll sideways to see all of it" : "Scroll sideways to see every column";
    if (element.matches(".card")) { element.insertBefore(hint, element.firstChild); } else { element.parentNode.insertBefore(hint, element); }
    return hint;
  }

  var hints = new WeakMap();

  function mark() {
    document.querySelectorAll(SELECTOR).forEach(function (element) {
      var overflows = element.scrollWidth > element.clientWidth + 1;
      if (overflows && !element.hasAttribute("tabindex")) {
        element.setAttribute("tabindex", "0");
        if (element.tagName !== "TABLE") { element.setAttribute("role", "region"); }  // a table keeps its role
        element.setAttribute("aria-label", nameOf(element));
        element.dataset.scrollMarked = "1";
        element.classList.add("scrolls");
        hints.set(element, addHint(element));
      } else if (!overflows && element.dataset.scrollMarked) {
        element.removeAttribute("tabindex");
        element.removeAttribute("role");
        element.removeAttribute("aria-label");
        delete element.dataset.scrollMarked;
        element.classList.remove("scrolls");
        var hint = hints.get(element);
        if (hint && hint.parentNode) { hint.parentNode.removeChild(hint); }
        hints.delete(element);
      }
    });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(mark, 150);
  });
  // Charts are drawn after load; check again once they are.
  window.addEventListener("load", function () { mark(); window.setTimeout(mark, 1000); });
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", mark); } else { mark(); }
})();
