// Render every Vega-Lite spec on the page (specs are built in Python: brightline/fairness/leadership.py).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".vl-chart").forEach(function (box) {
    var spec = JSON.parse(box.querySelector("script[type='application/json']").textContent);
    vegaEmbed(box.querySelector(".vl-target"), spec, { actions: false });
  });
});
