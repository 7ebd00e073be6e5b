// Render every Vega-Lite spec on the page. Specs are built (and unit-tested) in Python; a page
// puts each one in <div class="vl-chart"><script type="application/json">…</script><div class="vl-target"></div></div>.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".vl-chart").forEach(function (box) {
    var spec = JSON.parse(box.querySelector("script[type='application/json']").textContent);
    // The figure's caption shows the title and subtitle in full; drawn again inside the chart they would be
    // repeated and cut off at the chart's width.
    if (box.querySelector("figcaption")) { delete spec.title; }
    // A chart inside a folded <details> (a phone's fold) has no width yet: it is drawn when first opened.
    var fold = box.closest("details");
    function draw() { vegaEmbed(box.querySelector(".vl-target"), spec, { actions: false }); }
    if (fold && !fold.open) {
      fold.addEventListener("toggle", function once() {
        if (fold.open) { fold.removeEventListener("toggle", once); draw(); }
      });
    } else {
      draw();
    }
  });
});
