/* AppWatch charts. Every element with data-chart draws the JSON table named by its
   data-source attribute with Apache ECharts (installed from npm, served by the app itself).
   The HTML table beside each chart shows the same numbers, and is all a browser without
   JavaScript sees. Table shape: {chart, columns: [{key, label, kind}], rows: [[...]]}. */
(function () {
  "use strict";

  // Colour-blind-safe palette (Okabe–Ito, extended); category order is fixed, so a category
  // keeps its colour from chart to chart.
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D1F", "#000000", "#999999", "#F0E442"];
  var NUMERIC = { int: true, float: true, rate: true };
  var charts = [];

  function readTable(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function labelIndex(table) {
    for (var i = 0; i < table.columns.length; i++) {
      var kind = table.columns[i].kind;
      if (kind === "text" || kind === "date" || kind === "month") return i;
    }
    return 0;
  }

  function valueIndexes(table, onlyRates) {
    var found = [];
    table.columns.forEach(function (column, i) {
      if (NUMERIC[column.kind] && (!onlyRates || column.kind === "rate")) found.push(i);
    });
    return found;
  }

  function asPercent(value) {
    return value === null || value === undefined ? null : Math.round(value * 1000) / 10;
  }

  function emptyOption(message) {
    return {
      graphic: {
        type: "text",
        left: "center",
        top: "middle",
        style: { text: message, fill: "#57606a", fontSize: 14 }
      }
    };
  }

  function barOption(table, opts) {
    var li = labelIndex(table);
    var values = valueIndexes(table, opts.rates);
    var rows = opts.horizontal ? table.rows.slice().reverse() : table.rows;
    var month = table.columns[li].kind === "month";
    var labels = rows.map(function (row) { return month ? String(row[li]).slice(0, 7) : String(row[li]); });
    var series = values.map(function (vi, n) {
      return {
        name: table.columns[vi].label,
        type: "bar",
        stack: opts.stacked ? "total" : undefined,
        emphasis: { focus: "series" },
        barMaxWidth: 48,
        itemStyle: { color: PALETTE[n % PALETTE.length] },
        data: rows.map(function (row) { return opts.rates ? asPercent(row[vi]) : row[vi]; })
      };
    });
    var categoryAxis = { type: "category", data: labels, axisLabel: { hideOverlap: true } };
    var valueAxis = { type: "value", minInterval: opts.rates ? 0 : 1 };
    if (opts.rates) {
      valueAxis.axisLabel = { formatter: "{value}%" };
    }
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: opts.rates ? function (v) { return v === null ? "—" : v + "%"; } : undefined },
      legend: series.length > 1 ? { type: "scroll", bottom: 0 } : undefined,
      grid: { left: 8, right: 16, top: 16, bottom: series.length > 1 ? 40 : 8, containLabel: true },
      xAxis: opts.horizontal ? valueAxis : categoryAxis,
      yAxis: opts.horizontal ? categoryAxis : valueAxis,
      series: series
    };
  }

  function pieOption(table) {
    var li = labelIndex(table);
    var vi = valueIndexes(table, false)[0];
    return {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { type: "scroll", bottom: 0 },
      series: [{
        type: "pie",
        radius: ["35%", "65%"],
        center: ["50%", "45%"],
        label: { show: false },
        data: table.rows.map(function (row, n) {
          return { name: String(row[li]), value: row[vi], itemStyle: { color: PALETTE[n % PALETTE.length] } };
        })
      }]
    };
  }

  // The funnel's steps differ by orders of magnitude (thousands of complaints, a handful of
  // cases), which a trapezoid funnel cannot show: bars, top to bottom, with their values.
  function funnelOption(table) {
    var li = labelIndex(table);
    var vi = valueIndexes(table, false)[0];
    var rows = table.rows.slice().reverse();
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "log", logBase: 10, min: 1, axisLabel: { show: false }, splitLine: { show: false } },
      yAxis: { type: "category", data: rows.map(function (row) { return String(row[li]); }) },
      series: [{
        type: "bar",
        label: { show: true, position: "right", formatter: function (p) { return rows[p.dataIndex][vi]; } },
        data: rows.map(function (row, n) {
          // A log axis has no zero: an empty step is drawn as a sliver at 1 and labelled 0.
          return { value: Math.max(row[vi], 1), itemStyle: { color: PALETTE[(rows.length - 1 - n) % PALETTE.length] } };
        })
      }]
    };
  }

  function optionFor(table, emptyMessage) {
    if (!table.rows.length) return emptyOption(emptyMessage);
    switch (table.chart) {
      case "stacked_bar": return barOption(table, { stacked: true });
      case "hbar": return barOption(table, { horizontal: true });
      case "stacked_hbar": return barOption(table, { horizontal: true, stacked: true });
      case "rate_bar": return barOption(table, { rates: true });
      case "pie": return pieOption(table);
      case "funnel": return funnelOption(table);
      default: return barOption(table, {});
    }
  }

  function draw(element) {
    var table = readTable(element.getAttribute("data-source"));
    if (!table || typeof window.echarts === "undefined") return;
    element.hidden = false;
    var lang = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0 ? "ZH" : "EN";
    var chart = window.echarts.init(element, null, { renderer: "svg", locale: lang });
    var option = optionFor(table, element.getAttribute("data-empty") || (lang === "ZH" ? "暂无数据" : "No data"));
    option.aria = { enabled: true };
    option.animation = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    chart.setOption(option);
    element.setAttribute("data-rendered", "true");
    charts.push(chart);
  }

  function drawAll() {
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { charts.forEach(function (chart) { chart.resize(); }); }, 150);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
