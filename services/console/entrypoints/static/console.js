// Cascade console: times in the viewer's own zone, and the reports' charts. Works without it too.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const format = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  for (const time of document.querySelectorAll("time[datetime]")) {
    const at = new Date(time.getAttribute("datetime"));
    if (!Number.isNaN(at.getTime())) {
      time.title = time.textContent;
      time.textContent = format.format(at);
    }
  }
  for (const canvas of document.querySelectorAll("canvas[data-chart-config]")) {
    const config = document.getElementById(canvas.dataset.chartConfig);
    const status = document.getElementById(canvas.dataset.chartStatus);
    if (!config) continue;
    if (typeof window.Chart !== "function") {
      if (status) status.textContent = "Charts are not installed (run `npm ci` in services/console); the table holds the figures.";
      continue;
    }
    const chart = JSON.parse(config.textContent);
    new window.Chart(canvas, { ...chart, options: { ...chart.options, animation: false } });
    canvas.dataset.chartReady = "true";
  }
});
