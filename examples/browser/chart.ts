// A line chart on a 2D canvas: one line per series, linear axes with rounded ticks,
// and a legend. It redraws completely on every new point, which is cheap for the few
// hundred points of a demo run.

export interface ChartOptions {
  xLabel: string;
  yLabel: string;
  /** Colors by series name; other series get colors from a fixed palette. */
  colors?: Record<string, string>;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];
const MARGIN = { left: 56, right: 16, top: 16, bottom: 40 };

/** About five round tick values (1, 2 or 5 times a power of ten) from at most `low` to at least `high`. */
export function niceTicks(low: number, high: number): number[] {
  const span = high - low || Math.abs(high) || 1;
  const rough = span / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  const first = Math.floor(low / step + 1e-9);
  const last = Math.ceil(high / step - 1e-9);
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

export class LineChart {
  private readonly canvas: HTMLCanvasElement;
  private readonly options: ChartOptions;
  private readonly series = new Map<string, { x: number; y: number }[]>();

  constructor(canvas: HTMLCanvasElement, options: ChartOptions) {
    this.canvas = canvas;
    this.options = options;
    this.draw();
  }

  add(name: string, x: number, y: number): void {
    if (!Number.isFinite(y)) return;
    const points = this.series.get(name) ?? [];
    points.push({ x, y });
    this.series.set(name, points);
    this.draw();
  }

  /** Number of points drawn so far, over all series. */
  get pointCount(): number {
    let n = 0;
    for (const points of this.series.values()) n += points.length;
    return n;
  }

  private color(name: string): string {
    const fixed = this.options.colors?.[name];
    if (fixed !== undefined) return fixed;
    const index = [...this.series.keys()].indexOf(name);
    return PALETTE[index % PALETTE.length];
  }

  private draw(): void {
    // Draw in CSS pixels on a backing store scaled by devicePixelRatio, so lines stay sharp.
    const ratio = window.devicePixelRatio || 1;
    const width = this.canvas.clientWidth || 640;
    const height = this.canvas.clientHeight || 320;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    const g = this.canvas.getContext('2d');
    if (g === null) return;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, width, height);

    const all = [...this.series.values()].flat();
    const plot = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
    const xs = niceTicks(0, Math.max(1, ...all.map((p) => p.x)));
    const ys = all.length === 0 ? [0, 1] : niceTicks(Math.min(0, ...all.map((p) => p.y)), Math.max(...all.map((p) => p.y)));
    const [x0, x1, y0, y1] = [xs[0], xs[xs.length - 1], ys[0], ys[ys.length - 1]];
    const px = (x: number) => plot.x + ((x - x0) / (x1 - x0 || 1)) * plot.w;
    const py = (y: number) => plot.y + plot.h - ((y - y0) / (y1 - y0 || 1)) * plot.h;

    this.drawAxes(g, plot, xs, ys, px, py);
    for (const [name, points] of this.series) {
      g.strokeStyle = this.color(name);
      g.lineWidth = 2;
      g.beginPath();
      points.forEach((p, i) => (i === 0 ? g.moveTo(px(p.x), py(p.y)) : g.lineTo(px(p.x), py(p.y))));
      g.stroke();
    }
    this.drawLegend(g, plot);
  }

  private drawAxes(
    g: CanvasRenderingContext2D,
    plot: { x: number; y: number; w: number; h: number },
    xs: number[],
    ys: number[],
    px: (x: number) => number,
    py: (y: number) => number,
  ): void {
    g.font = '12px system-ui, sans-serif';
    g.fillStyle = '#444444';
    g.strokeStyle = '#e4e4e4';
    g.lineWidth = 1;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (const y of ys) {
      g.beginPath();
      g.moveTo(plot.x, py(y));
      g.lineTo(plot.x + plot.w, py(y));
      g.stroke();
      g.fillText(String(y), plot.x - 6, py(y));
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (const x of xs) g.fillText(String(x), px(x), plot.y + plot.h + 6);
    g.fillText(this.options.xLabel, plot.x + plot.w / 2, plot.y + plot.h + 22);

    g.save();
    g.translate(14, plot.y + plot.h / 2);
    g.rotate(-Math.PI / 2);
    g.fillText(this.options.yLabel, 0, -6);
    g.restore();

    g.strokeStyle = '#888888';
    g.strokeRect(plot.x, plot.y, plot.w, plot.h);
  }

  private drawLegend(g: CanvasRenderingContext2D, plot: { x: number; y: number; w: number; h: number }): void {
    g.textAlign = 'left';
    g.textBaseline = 'middle';
    let y = plot.y + 12;
    for (const name of this.series.keys()) {
      const x = plot.x + plot.w - 110;
      g.fillStyle = this.color(name);
      g.fillRect(x, y - 2, 18, 4);
      g.fillStyle = '#222222';
      g.fillText(name, x + 24, y);
      y += 18;
    }
  }
}
