// Charts with uPlot (global `uPlot`, vendor/uPlot.iife.min.js): a <figure> with caption, the canvas
// (role="img" with a summary) and the same numbers in a visually hidden table for screen readers.

import { h } from "./dom.js";
import { t, formatDay } from "./i18n.js";

const AXIS = { stroke: "#2b2b2b", grid: { stroke: "#e3e3e3", width: 1 }, ticks: { stroke: "#bdbdbd", width: 1 }, font: "12px system-ui, sans-serif" };
const HEIGHT = 260;

function library() {
  return typeof globalThis.uPlot === "function" ? globalThis.uPlot : null;
}

/** A day "2026-03-05" → Unix seconds at 00:00 UTC (uPlot's x for time series). */
export function dayToSeconds(day) {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

/** The chart's numbers as a table; hidden visually (in a clipped box: a table ignores width) unless `visible`. */
function dataTable(caption, columns, rows, visible = false) {
  const table = h(
    "table",
    { class: visible ? "data-table chart-data" : "chart-data", "data-testid": "chart-table" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell, i) => (i === 0 ? h("th", { scope: "row" }, cell) : h("td", {}, cell)))))),
  );
  return visible ? table : h("div", { class: "visually-hidden" }, table);
}

/**
 * chartFigure({id, title, description, summary, columns, rows, options: (width) => uPlotOptions, data, empty})
 * → {figure, destroy}. With `empty` (a message) or without the library, the figure says so instead of drawing.
 */
export function chartFigure({ id, title, description, summary, columns, rows, options, data, empty, extra }) {
  const uPlot = library();
  const canvas = h("div", { class: "chart-canvas", role: "img", "aria-label": summary || title });
  const message = empty || (!uPlot ? t("chart.unavailable") : null);
  const figure = h(
    "figure",
    { class: "chart", "data-testid": "chart", "data-chart": id, "data-empty": message ? "true" : "false" },
    h("figcaption", {}, h("h3", { class: "chart-title" }, title), description ? h("p", { class: "chart-description" }, description) : null),
    message ? h("p", { class: "empty chart-empty", "data-testid": "chart-empty" }, message) : canvas,
    extra || null,
    rows && rows.length ? dataTable(title, columns, rows, !uPlot) : null,
  );
  if (message) return { figure, destroy() {} };

  let plot = null;
  let observer = null;
  const draw = () => {
    const width = Math.max(240, Math.floor(canvas.clientWidth || figure.clientWidth || 600));
    if (plot) {
      plot.setSize({ width, height: HEIGHT });
      return;
    }
    plot = new uPlot(options(width, HEIGHT), data, canvas);
    plot.root.setAttribute("aria-hidden", "true"); // the table and the summary carry the numbers
  };
  // Drawn once the figure is in the page (it needs a width), then kept to the container's width.
  requestAnimationFrame(() => {
    if (!figure.isConnected) return;
    draw();
    observer = new ResizeObserver(() => plot && draw());
    observer.observe(canvas);
  });
  return {
    figure,
    destroy() {
      if (observer) observer.disconnect();
      if (plot) plot.destroy();
      plot = null;
    },
  };
}

function dayLabel(seconds) {
  return formatDay(new Date(seconds * 1000).toISOString().slice(0, 10));
}

/** Lines over days (UTC). series: [{label, color, dash}]; format: value → text for axis and legend. */
export function lineOptions({ series, format, xLabel, yMin = 0 }) {
  const uPlot = library();
  return (width, height) => ({
    width,
    height,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    scales: { x: { time: true }, y: { range: (u, min, max) => [yMin, max > yMin ? max * 1.1 : yMin + 1] } },
    axes: [{ ...AXIS, values: (u, splits) => splits.map(dayLabel) }, { ...AXIS, values: (u, splits) => splits.map(format), size: 60 }],
    series: [
      { label: xLabel, value: (u, ts) => (ts === null || ts === undefined ? "—" : dayLabel(ts)) },
      ...series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 2,
        dash: s.dash && s.dash.length ? s.dash : undefined,
        points: { show: true, size: 5, fill: s.color },
        spanGaps: false,
        value: (u, v) => (v === null || v === undefined ? "—" : format(v)),
      })),
    ],
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
  });
}

/** Bars, one per category: labels under the axis; values formatted with `format`. */
export function barOptions({ labels, color, label, xLabel, format, yMax }) {
  const uPlot = library();
  return (width, height) => {
    const crowded = labels.length * 90 > width;
    // Room per bar in characters (≈7 px each); rotated labels get more.
    const room = Math.max(8, Math.floor(((width - 80) / Math.max(1, labels.length)) / 7) * (crowded ? 2 : 1));
    const short = (text) => (text.length > room ? `${text.slice(0, room - 1)}…` : text);
    return {
      width,
      height,
      scales: {
        x: { time: false, range: () => [-0.5, labels.length - 0.5] },
        y: { range: (u, min, max) => [0, yMax ?? (max > 0 ? max * 1.15 : 1)] },
      },
      axes: [
        {
          ...AXIS,
          splits: () => labels.map((_, i) => i),
          values: (u, splits) => splits.map((i) => (labels[i] === undefined ? "" : short(labels[i]))),
          rotate: crowded ? -35 : 0,
          size: crowded ? 80 : 40,
          grid: { show: false },
        },
        { ...AXIS, values: (u, splits) => splits.map(format), size: 60 },
      ],
      series: [
        { label: xLabel, value: (u, i) => (labels[i] === undefined ? "" : labels[i]) },
        {
          label,
          stroke: color,
          fill: `${color}cc`,
          width: 1,
          paths: uPlot.paths.bars({ size: [0.6, 80] }),
          points: { show: false },
          value: (u, v) => (v === null || v === undefined ? "—" : format(v)),
        },
      ],
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
    };
  };
}
