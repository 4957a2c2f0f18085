// Draws each <canvas data-chart="ID"> from the JSON in <script id="ID">; the same figures are
// in the table next to the chart.
document.addEventListener("DOMContentLoaded", () => {
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") continue;
    const spec = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        animation: false,
        responsive: true,
        aspectRatio: 3,
        plugins: { legend: { position: "bottom" } },
        scales: {
          y: {
            ticks: {
              callback: (value) =>
                new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR", maximumFractionDigits: 0 }).format(value),
            },
          },
        },
      },
    });
  }
});
