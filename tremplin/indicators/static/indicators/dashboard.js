/* Pilotage: draws each <canvas data-chart="…"> from the JSON the page carries
   (#indicator-charts). The same numbers are in the table under each chart. */
(function () {
  "use strict";

  var PALETTE = ["#1f4e5f", "#e07a1f", "#5b8c3a", "#8a5a9e", "#c2464b", "#3f7fbf"];

  function number(value) {
    return value === null || value === undefined ? null : Number(value);
  }

  function draw() {
    var source = document.getElementById("indicator-charts");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var charts = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var spec = charts[canvas.dataset.chart];
      if (!spec) {
        return;
      }
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: spec.labels,
          datasets: spec.series.map(function (serie, index) {
            return {
              label: serie.label,
              data: serie.data.map(number),
              backgroundColor: PALETTE[index % PALETTE.length],
            };
          }),
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          locale: "fr-FR",
          plugins: { legend: { position: "bottom" } },
          scales: { y: { beginAtZero: true } },
        },
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
