// CODITECT console: progressive enhancement only. Every page works without this file; with it, forms confirm
// destructive actions in place, keys copy with one click, charts draw, and live views update themselves.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // htmx requests carry the antiforgery token as a header (the console's handlers validate it like a form field).
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // <button data-copy="element-id">: copies that element's text.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // <form data-confirm="...">: asks before a destructive post. Without JavaScript the link to the form's own
  // confirmation page does the asking.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // <div class="chart" data-src="url">: a uPlot chart of the JSON there: {x: [unix seconds], series: [{label, values, kind}]}.
  function drawCharts(root) {
    if (!window.uPlot) return;
    root.querySelectorAll(".chart[data-src]").forEach(function (element) {
      if (element.dataset.drawn) return;
      element.dataset.drawn = "1";
      fetch(element.getAttribute("data-src"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) plot(element, data); });
    });
  }

  var palette = ["#0ea5e9", "#f59e0b", "#ef4444", "#22c55e"];

  function plot(element, data) {
    var styles = getComputedStyle(document.documentElement);
    var ink = styles.getPropertyValue("--muted").trim() || "#64748b";
    var grid = styles.getPropertyValue("--line").trim() || "#e2e8f0";
    var series = [{}];
    var values = [data.x];
    data.series.forEach(function (s, i) {
      series.push({
        label: s.label,
        stroke: palette[i % palette.length],
        width: 2,
        fill: i === 0 ? "rgba(14,165,233,0.12)" : undefined,
        paths: s.kind === "bars" && window.uPlot.paths && window.uPlot.paths.bars ? window.uPlot.paths.bars({ size: [0.6, 24] }) : undefined,
        points: { show: false },
        scale: s.scale || "y",
      });
      values.push(s.values);
    });
    var axis = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    var options = {
      width: Math.max(element.clientWidth, 280),
      height: 220,
      series: series,
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      axes: [axis, Object.assign({}, axis, { size: 40 })],
      legend: { live: true },
    };
    var chart = new window.uPlot(options, values, element);
    var resize = function () { chart.setSize({ width: Math.max(element.clientWidth, 280), height: 220 }); };
    window.addEventListener("resize", resize);
  }

  // <section data-live="events-url" hx-get="fragment-url" hx-trigger="live">: reloads the fragment when the server
  // says it changed (server-sent events), and shows whether the stream is connected.
  function connectLive(root) {
    root.querySelectorAll("[data-live]").forEach(function (element) {
      if (element.dataset.connected || !window.EventSource) return;
      element.dataset.connected = "1";
      var dot = document.querySelector("[data-live-status]");
      var source = new EventSource(element.getAttribute("data-live"));
      source.addEventListener("open", function () { if (dot) { dot.classList.remove("off"); dot.title = "Live"; } });
      source.addEventListener("error", function () { if (dot) { dot.classList.add("off"); dot.title = "Reconnecting"; } });
      source.addEventListener("changed", function () {
        if (window.htmx) window.htmx.trigger(element, "live");
      });
      window.addEventListener("pagehide", function () { source.close(); });
    });
  }

  function enhance(root) {
    drawCharts(root);
    connectLive(root);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
