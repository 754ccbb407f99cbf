// Draws a per-class CKA report as an RGBA image: one row per class, one column per
// (student, teacher) representation pair, lighter cells for higher CKA, and a color
// bar from 0 to 1. Labels use a built-in 3x5 pixel font, so drawing needs no canvas.

import type { CkaReport } from './cka-report.js';

export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, row-major, RGBA. */
  data: Uint8Array;
}

export interface HeatmapOptions {
  /** Cell width and height in pixels; defaults 48 and 18. */
  cellWidth?: number;
  cellHeight?: number;
  /** Pixel scale of the 3x5 font; default 2. */
  fontScale?: number;
}

// Glyphs of 5 rows, 3 pixels wide; each octal digit is one row, 4 = left pixel.
const GLYPHS: Record<string, string> = {
  '0': '75557', '1': '26227', '2': '71747', '3': '71317', '4': '55711',
  '5': '74717', '6': '74757', '7': '71222', '8': '75757', '9': '75717',
  a: '03553', b: '44656', c: '03443', d: '11353', e: '25743', f: '34644',
  g: '34553', h: '44655', i: '20222', j: '10152', k: '45655', l: '62227',
  m: '07755', n: '06555', o: '02552', p: '06564', q: '03531', r: '03444',
  s: '03636', t: '27221', u: '05553', v: '05552', w: '05577', x: '05225',
  y: '55316', z: '07367', _: '00007', '-': '00700', '.': '00002', ':': '02020',
  ' ': '00000', '?': '71302',
};

// Colors from low to high CKA (dark blue to pale yellow), interpolated linearly.
const COLOR_STOPS: [number, number, number][] = [
  [22, 20, 62],
  [38, 86, 146],
  [48, 150, 140],
  [170, 205, 90],
  [250, 245, 200],
];
const NAN_COLOR: [number, number, number] = [150, 150, 150];
const BACKGROUND: [number, number, number] = [255, 255, 255];
const INK: [number, number, number] = [20, 20, 20];

/** Maps a CKA value in [0, 1] (clamped) to a color; NaN gives gray. */
export function ckaColor(value: number): [number, number, number] {
  if (Number.isNaN(value)) return NAN_COLOR;
  const t = Math.min(Math.max(value, 0), 1) * (COLOR_STOPS.length - 1);
  const i = Math.min(Math.floor(t), COLOR_STOPS.length - 2);
  const f = t - i;
  const [a, b] = [COLOR_STOPS[i], COLOR_STOPS[i + 1]];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f)) as [number, number, number];
}

export class Canvas {
  readonly data: Uint8Array;

  constructor(readonly width: number, readonly height: number) {
    this.data = new Uint8Array(width * height * 4);
    this.fill(0, 0, width, height, BACKGROUND);
  }

  fill(x: number, y: number, w: number, h: number, color: readonly number[]): void {
    for (let row = Math.max(y, 0); row < Math.min(y + h, this.height); row++) {
      for (let col = Math.max(x, 0); col < Math.min(x + w, this.width); col++) {
        const p = (row * this.width + col) * 4;
        this.data[p] = color[0];
        this.data[p + 1] = color[1];
        this.data[p + 2] = color[2];
        this.data[p + 3] = 255;
      }
    }
  }

  text(x: number, y: number, value: string, scale: number, color: readonly number[] = INK): void {
    [...value.toLowerCase()].forEach((ch, k) => {
      const glyph = GLYPHS[ch] ?? GLYPHS['?'];
      for (let row = 0; row < 5; row++) {
        const bits = Number(glyph[row]);
        for (let col = 0; col < 3; col++) {
          if (bits & (4 >> col)) this.fill(x + (k * 4 + col) * scale, y + row * scale, scale, scale, color);
        }
      }
    });
  }
}

/** Width in pixels of `value` in the built-in font. */
export function textWidth(value: string, scale: number): number {
  return Math.max(value.length * 4 - 1, 0) * scale;
}

/** Short column label, e.g. "s_g" and "e_h" give "sg:eh". */
function pairLabel(student: string, teacher: string): string {
  const short = (name: string) => name.replace(/_/g, '');
  return `${short(student)}:${short(teacher)}`;
}

/** Renders `report` as an RGBA image. */
export function renderCkaHeatmap(report: CkaReport, options: HeatmapOptions = {}): RgbaImage {
  const scale = options.fontScale ?? 2;
  const pairs = report.studentRepresentations.flatMap((s, i) => report.teacherRepresentations.map((t, j) => ({ i, j, label: pairLabel(s, t) })));
  const cellWidth = Math.max(options.cellWidth ?? 48, ...pairs.map((p) => textWidth(p.label, scale) + 4));
  const cellHeight = Math.max(options.cellHeight ?? 18, 5 * scale + 4);
  const rowLabels = report.classes.map((c) => String(c.label));
  const left = Math.max(...rowLabels.map((l) => textWidth(l, scale)), textWidth('class', scale)) + 8;
  const top = 5 * scale + 10;
  const gridWidth = pairs.length * cellWidth;
  const gridHeight = Math.max(report.classes.length, 1) * cellHeight;
  const barLeft = left + gridWidth + 12;
  const barWidth = 12;
  const width = barLeft + barWidth + 6 + textWidth('1', scale) + 6;
  const height = top + Math.max(gridHeight, 10 * scale) + 6;
  const canvas = new Canvas(width, height);

  canvas.text(4, 4, 'class', scale);
  pairs.forEach((p, k) => canvas.text(left + k * cellWidth + 2, 4, p.label, scale));
  report.classes.forEach((c, row) => {
    const y = top + row * cellHeight;
    canvas.text(4, y + Math.floor((cellHeight - 5 * scale) / 2), rowLabels[row], scale);
    pairs.forEach((p, k) => canvas.fill(left + k * cellWidth, y, cellWidth - 1, cellHeight - 1, ckaColor(c.cka[p.i][p.j])));
  });

  // Color bar: 1 at the top, 0 at the bottom.
  const barHeight = Math.max(gridHeight, 10 * scale);
  for (let y = 0; y < barHeight; y++) canvas.fill(barLeft, top + y, barWidth, 1, ckaColor(1 - y / Math.max(barHeight - 1, 1)));
  canvas.text(barLeft + barWidth + 4, top, '1', scale);
  canvas.text(barLeft + barWidth + 4, top + barHeight - 5 * scale, '0', scale);
  return { width, height, data: canvas.data };
}
