// A table or card wider than its place scrolls inside it (see brightline.css). Keyboard users must be able to
// scroll it too: each region that overflows gets a tab stop and a name (its caption or heading), and loses them
// again when the window grows wide enough to show it whole.
(function () {
  "use strict";
  var SELECTOR = "main .table-scroll, main .card, main table";

  function nameOf(element) {
    var caption = element.querySelector("caption");
    var heading = element.querySelector("h2, h3") || (element.closest("section") || element).querySelector("h2, h3");
    var text = (caption || heading || {}).textContent || "";
    return (text.trim() || "Table") + " (scrolls sideways)";
  }

  function mark() {
    document.querySelectorAll(SELECTOR).forEach(function (element) {
      var overflows = element.scrollWidth > element.clientWidth + 1;
      if (overflows && !element.hasAttribute("tabindex")) {
        element.setAttribute("tabindex", "0");
        if (element.tagName !== "TABLE") { element.setAttribute("role", "region"); }  // a table keeps its role
        element.setAttribute("aria-label", nameOf(element));
        element.dataset.scrollMarked = "1";
      } else if (!overflows && element.dataset.scrollMarked) {
        element.removeAttribute("tabindex");
        element.removeAttribute("role");
        element.removeAttribute("aria-label");
        delete element.dataset.scrollMarked;
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
