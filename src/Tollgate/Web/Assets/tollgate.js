// Tollgate's pages: charts from the data their canvas carries (data-chart), and a confirmation before a form that asks
// for one (data-confirm). Every chart's figures are also in a table beside it, for screen readers and for copying.
(function () {
  "use strict";
  var palette = ["#1d4ed8", "#067647", "#b42318", "#8a4b00", "#6d28d9", "#0e7490"];
  function draw(canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    spec.datasets.forEach(function (d, i) { d.backgroundColor = d.borderColor = palette[i % palette.length]; });
    var stacked = spec.type === "bar" && spec.stacked === true;
    new window.Chart(canvas, {
      type: spec.type, data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { x: { stacked: stacked }, y: { stacked: stacked, ticks: { callback: function (v) { return (spec.prefix || "") + v.toLocaleString(); } } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }
  function init(root) {
    if (window.Chart) root.querySelectorAll("canvas[data-chart]").forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("submit", function (e) {
    var message = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) e.preventDefault();
  }, true);
})();
