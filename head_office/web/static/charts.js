// Charts of the branch drill-down and the daily report (Apache ECharts, pinned in package.json).
const minutes = (s) => (s === null ? null : Math.round(s / 6) / 10);

function servicesChart(element, rows) {
  return {
    tooltip: { trigger: "axis" },
    legend: { data: ["Longest wait (min)", "Target (min)", "Waiting"] },
    xAxis: { type: "category", data: rows.map((r) => r.name_zh) },
    yAxis: [{ type: "value", name: "min" }, { type: "value", name: "people" }],
    series: [
      { name: "Longest wait (min)", type: "bar", data: rows.map((r) => minutes(r.longest_wait_s)) },
      { name: "Target (min)", type: "line", data: rows.map((r) => minutes(r.target_wait_s)) },
      { name: "Waiting", type: "bar", yAxisIndex: 1, data: rows.map((r) => r.waiting) },
    ],
  };
}

function reportChart(element, rows) {
  const sorted = [...rows].sort((a, b) => (a.called ? a.within_target / a.called : 0) - (b.called ? b.within_target / b.called : 0));
  return {
    tooltip: { trigger: "axis" },
    legend: { data: ["Called within target (%)", "p90 wait (min)"] },
    dataZoom: sorted.length > 40 ? [{ type: "slider", start: 0, end: Math.min(100, 4000 / sorted.length) }] : [],
    xAxis: { type: "category", data: sorted.map((r) => r.name) },
    yAxis: [{ type: "value", name: "%", max: 100 }, { type: "value", name: "min" }],
    series: [
      { name: "Called within target (%)", type: "bar", data: sorted.map((r) => (r.called ? Math.round((100 * r.within_target) / r.called) : null)) },
      { name: "p90 wait (min)", type: "line", yAxisIndex: 1, data: sorted.map((r) => minutes(r.p90_wait_s)) },
    ],
  };
}

const CHARTS = { services: servicesChart, report: reportChart };
for (const element of document.querySelectorAll("[data-chart]")) {
  const rows = JSON.parse(element.dataset.rows);
  const chart = echarts.init(element, null, { renderer: "svg" });
  // No animation: a report is read, not watched, and a page refreshed every 15 s would replay it.
  chart.setOption({ animation: false, ...CHARTS[element.dataset.chart](element, rows) });
  element.dataset.drawn = "true";
  addEventListener("resize", () => chart.resize());
}
