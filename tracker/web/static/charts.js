/* Volume and negative-share charts (ECharts, vendored). Data comes from the element's data-chart
   attribute: {labels: [...], posts: [...], negative_share: [... percent or null]}. The same figures are
   in a table under each chart, for browsers without JavaScript. */
(function () {
  "use strict";
  if (typeof window.echarts === "undefined") { return; }

  function draw(el) {
    var data;
    try { data = JSON.parse(el.getAttribute("data-chart")); } catch (e) { return; }
    if (!data || !data.labels || !data.labels.length) { return; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      grid: { left: 44, right: 44, top: 30, bottom: 28 },
      tooltip: { trigger: "axis" },
      legend: { data: ["帖子数", "负面占比"], top: 0, textStyle: { fontSize: 12 } },
      xAxis: { type: "category", data: data.labels, axisLabel: { fontSize: 11 } },
      yAxis: [
        { type: "value", name: "条", minInterval: 1, axisLabel: { fontSize: 11 } },
        { type: "value", name: "%", min: 0, max: 100, axisLabel: { fontSize: 11 }, splitLine: { show: false } }
      ],
      series: [
        { name: "帖子数", type: "bar", data: data.posts, itemStyle: { color: "#5b8ff9" }, barMaxWidth: 28 },
        { name: "负面占比", type: "line", yAxisIndex: 1, data: data.negative_share, connectNulls: true,
          itemStyle: { color: "#e8684a" }, symbolSize: 5 }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var nodes = document.querySelectorAll("[data-chart]");
  for (var i = 0; i < nodes.length; i++) { draw(nodes[i]); }
})();
