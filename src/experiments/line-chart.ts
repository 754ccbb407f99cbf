// Draws line charts (training and validation curves) as RGBA images with the 3x5 pixel
// font of the CKA heatmap, which has lowercase letters, digits and _ - . : only: a title, a frame with the y range and x range written at
// its corners, one colored polyline per series and a legend on the right.

import { Canvas, textWidth, type RgbaImage } from '../td/cka-heatmap.js';

export interface Series {
  name: string;
  /** (x, y) points in x order; non-finite y values break the line. */
  points: [number, number][];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
}

// Distinct colors for up to 14 series (6 methods and 8 ablations); later series reuse them.
const PALETTE: [number, number, number][] = [
  [120, 120, 120], [31, 119, 180], [255, 127, 14], [44, 160, 44], [148, 103, 189], [214, 39, 40],
  [140, 86, 75], [227, 119, 194], [188, 189, 34], [23, 190, 207], [0, 0, 128], [128, 0, 0], [0, 100, 0], [90, 90, 0],
];
const GRID: [number, number, number] = [225, 225, 225];
const FRAME: [number, number, number] = [60, 60, 60];
const SCALE = 2;

/** Formats an axis value with 3 significant digits in the font's characters. */
function formatTick(value: number): string {
  if (value === 0) return '0';
  const text = Math.abs(value) >= 1e4 || Math.abs(value) < 1e-3 ? value.toExponential(2) : String(Number(value.toPrecision(3)));
  return text.replace('+', '');
}

function drawLine(canvas: Canvas, x0: number, y0: number, x1: number, y1: number, color: readonly number[]): void {
  const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
  for (let i = 0; i <= steps; i++) {
    const x = Math.round(x0 + ((x1 - x0) * i) / steps);
    const y = Math.round(y0 + ((y1 - y0) * i) / steps);
    canvas.fill(x - 1, y - 1, 2, 2, color);
  }
}

/** Returns the data range of the finite values, widened when it is a single value. */
function range(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let low = Math.min(...finite);
  let high = Math.max(...finite);
  if (low === high) {
    const pad = Math.abs(low) > 0 ? Math.abs(low) * 0.05 : 1;
    low -= pad;
    high += pad;
  }
  return [low, high];
}

/** Renders the series into an image. */
export function renderLineChart(options: LineChartOptions): RgbaImage {
  const width = options.width ?? 720;
  const height = options.height ?? 420;
  const canvas = new Canvas(width, height);
  const all = options.series.flatMap((s) => s.points);
  const [xLow, xHigh] = range(all.map((p) => p[0]));
  const [yLow, yHigh] = range(all.map((p) => p[1]));
  const yTicks = [yHigh, (yLow + yHigh) / 2, yLow].map(formatTick);

  const legendWidth = Math.max(0, ...options.series.map((s) => textWidth(s.name, SCALE))) + 28;
  const left = Math.max(...yTicks.map((t) => textWidth(t, SCALE))) + 10;
  const top = 44;
  const right = width - legendWidth - 10;
  const bottom = height - 36;
  const px = (x: number) => left + ((x - xLow) / (xHigh - xLow)) * (right - left);
  const py = (y: number) => bottom - ((y - yLow) / (yHigh - yLow)) * (bottom - top);

  canvas.text(left, 8, options.title, SCALE);
  for (const [k, tick] of yTicks.entries()) {
    const y = top + ((bottom - top) * k) / 2;
    canvas.fill(left, Math.round(y), right - left, 1, GRID);
    canvas.text(4, Math.round(y) - 5, tick, SCALE);
  }
  canvas.fill(left, top, 1, bottom - top, FRAME);
  canvas.fill(left, bottom, right - left, 1, FRAME);
  canvas.text(left, bottom + 6, formatTick(xLow), SCALE);
  const xHighText = formatTick(xHigh);
  canvas.text(right - textWidth(xHighText, SCALE), bottom + 6, xHighText, SCALE);
  canvas.text(Math.round((left + right) / 2 - textWidth(options.xLabel, SCALE) / 2), bottom + 22, options.xLabel, SCALE);
  canvas.text(left + 4, top - 16, options.yLabel, SCALE);

  options.series.forEach((series, k) => {
    const color = PALETTE[k % PALETTE.length];
    let previous: [number, number] | null = null;
    for (const [x, y] of series.points) {
      if (!Number.isFinite(y)) {
        previous = null;
        continue;
      }
      const point: [number, number] = [Math.round(px(x)), Math.round(py(y))];
      if (previous === null) canvas.fill(point[0] - 1, point[1] - 1, 3, 3, color);
      else drawLine(canvas, previous[0], previous[1], point[0], point[1], color);
      previous = point;
    }
    const legendY = top + k * 16;
    canvas.fill(right + 12, legendY + 3, 12, 4, color);
    canvas.text(right + 28, legendY, series.name, SCALE);
  });
  return { width, height, data: canvas.data };
}
