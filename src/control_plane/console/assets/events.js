// kt console: the allow/redact/block chart of the events page (uPlot, vendored).
// Reads /console/events/chart?<the page's filters> (JSON: {t:[unix s], allow:[], redact:[], block:[]})
// and redraws whenever the live event table changes.
(function () {
  "use strict";

  const COLOURS = { allow: "#1a7f37", redact: "#9a6700", block: "#cf222e" };

  function bars() {
    // deno-lint-ignore no-undef
    return uPlot.paths.bars({ size: [0.6, 40], align: 0 });
  }

  // Bars are stacked: each series is drawn as the running total up to it (block on top), and the
  // legend shows each verdict's own count.
  const ORDER = ["block", "redact", "allow"];
  let raw = { allow: [], redact: [], block: [] };

  function stacked(d) {
    const allow = d.allow;
    const redact = d.redact.map((v, i) => v + allow[i]);
    const block = d.block.map((v, i) => v + redact[i]);
    return [d.t, block, redact, allow];
  }

  function options(width) {
    return {
      width: width,
      height: 220,
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [{}, { label: "events", size: 50 }],
      series: [{}].concat(ORDER.map((name) => ({
        label: name,
        stroke: COLOURS[name],
        fill: COLOURS[name] + "cc",
        width: 1,
        points: { show: false },
        paths: bars(),
        value: (_u, _v, _si, idx) => (idx == null ? "--" : String(raw[name][idx] ?? 0)),
      }))),
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    const host = document.getElementById("chart");
    // deno-lint-ignore no-undef
    if (!host || typeof uPlot === "undefined") return;
    const url = host.getAttribute("data-chart-url");
    const summary = document.getElementById("chart-summary");
    let plot = null;

    async function draw() {
      try {
        const res = await fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" });
        if (!res.ok) return;
        const d = await res.json();
        raw = d;
        const data = stacked(d);
        if (!plot) {
          host.textContent = "";
          // deno-lint-ignore no-undef
          plot = new uPlot(options(Math.max(280, host.clientWidth)), data, host);
        } else plot.setData(data);
        if (summary) {
          summary.textContent = "Totals in range: allow " + d.totals.allow + ", redact " + d.totals.redact +
            ", block " + d.totals.block + (d.truncated ? " (from the newest " + d.sampled + " events)" : "");
        }
      } catch (_err) {
        // the table's live status already says when updates fail
      }
    }

    draw();
    document.addEventListener("kt:updated", draw);
    setInterval(draw, 15000);
    let resizeTimer = 0;
    globalThis.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (plot) plot.setSize({ width: Math.max(280, host.clientWidth), height: 220 });
      }, 150);
    });
  });
})();
