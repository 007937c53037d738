/* Draw every chart whose ECharts option the server embedded in data-option. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") {
    document.querySelectorAll("[data-option]").forEach(function (el) {
      el.textContent = "ECharts is not installed: run scripts/fetch-web-assets.sh";
    });
    return;
  }
  var charts = [];
  document.querySelectorAll("[data-option]").forEach(function (el) {
    var option = JSON.parse(el.getAttribute("data-option"));
    [].concat(option.xAxis || []).forEach(function (axis) {
      if (axis.axisLabel && axis.axisLabel.formatter === "year") {
        axis.axisLabel.formatter = function (v) { return String(v); };
      }
    });
    var chart = echarts.init(el, null, { renderer: el.dataset.renderer || "canvas" });
    chart.setOption(option);
    charts.push(chart);
    el.dataset.ready = "1";
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
  document.documentElement.dataset.chartsReady = String(charts.length);
})();
