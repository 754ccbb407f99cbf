// Pieces of the run-folder outputs that need no GPU: the line chart, the overview
// table, NaN-safe JSON and the bilinear resize of images.

import { describe, expect, it } from 'vitest';

import type { CellResult } from '../../src/experiments/cells.js';
import { resizeBilinear } from '../../src/experiments/image-resize.js';
import { parseNumbers, stringifyNumbers } from '../../src/experiments/json-numbers.js';
import { renderLineChart } from '../../src/experiments/line-chart.js';
import { summarize, toOverviewMarkdown } from '../../src/experiments/report.js';
import { Rng } from '../../src/util/rng.js';

function countColor(data: Uint8Array, color: [number, number, number]): number {
  let count = 0;
  for (let p = 0; p < data.length; p += 4) if (data[p] === color[0] && data[p + 1] === color[1] && data[p + 2] === color[2]) count++;
  return count;
}

describe('renderLineChart', () => {
  const series = [
    { name: 'scratch', points: [[0, 1], [10, 0.5], [20, 0.25]] as [number, number][] },
    { name: 'td', points: [[0, 0.9], [10, Number.NaN], [20, 0.1]] as [number, number][] },
  ];

  it('draws each series in its color', () => {
    const image = renderLineChart({ title: 'loss', xLabel: 'step', yLabel: 'loss', series, width: 301, height: 203 });
    expect(image.data.length).toBe(301 * 203 * 4);
    // The first two palette colors: gray for series 0, blue for series 1.
    expect(countColor(image.data, [120, 120, 120])).toBeGreaterThan(100);
    expect(countColor(image.data, [31, 119, 180])).toBeGreaterThan(40);
  });

  it('handles a single constant point', () => {
    const image = renderLineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', points: [[5, 2]] }] });
    expect(countColor(image.data, [120, 120, 120])).toBeGreaterThan(0);
  });
});

function result(task: string, method: string, seed: number, evalMetric: number, higherIsBetter: boolean): CellResult {
  return {
    cell: { task, method, seed },
    metricName: higherIsBetter ? 'accuracy' : 'rmse',
    higherIsBetter,
    evalMetric,
    validationMetric: evalMetric,
    selection: 'best-on-validation',
    hyperparameters: {},
    curve: [],
    seconds: 1,
    notes: [],
  };
}

describe('toOverviewMarkdown', () => {
  const results = [
    result('drama', 'scratch', 0, 1.0, false),
    result('drama', 'scratch', 1, 1.2, false),
    result('drama', 'td', 0, 0.9, false),
    result('drama', 'td', 1, 1.1, false),
    result('comedy', 'scratch', 0, 1.5, false),
  ];
  const table = toOverviewMarkdown(summarize(results, ['scratch', 'td']), ['scratch', 'td'], { drama: 0.95, comedy: null });

  it('puts tasks in columns', () => {
    expect(table.split('\n')[0]).toBe('| method | drama (rmse, lower is better) | comedy (rmse, lower is better) |');
  });

  it('shows the teacher row', () => {
    expect(table).toContain('| teacher (reference) | 0.9500 | n/a |');
  });

  it('shows the improvement over scratch', () => {
    // td mean 1.0 against scratch 1.1: (1.1 - 1.0) / 1.1 = +9.09%.
    expect(table).toContain('| td | 1.0000 ± 0.1000 (+9.09%) | – |');
  });
});

describe('stringifyNumbers', () => {
  it('round-trips non-finite numbers', () => {
    const value = { a: Number.NaN, b: [Number.POSITIVE_INFINITY, -Infinity, 0.5], c: 'text' };
    const back = parseNumbers<typeof value>(stringifyNumbers(value));
    expect(back.a).toBeNaN();
    expect(back.b).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.5]);
    expect(back.c).toBe('text');
  });
});

describe('resizeBilinear', () => {
  it('keeps the same size unchanged', () => {
    const rng = new Rng(4);
    const pixels = Float32Array.from({ length: 2 * 3 * 5 * 7 }, () => rng.normal());
    expect(resizeBilinear(pixels, { n: 2, channels: 3, height: 5, width: 7 }, 5, 7)).toEqual(pixels);
  });

  it('interpolates a 2x upscale', () => {
    // One row [a, b] to width 4: half-pixel centers give a, 0.75a + 0.25b, 0.25a + 0.75b, b.
    const out = resizeBilinear(Float32Array.from([1, 3]), { n: 1, channels: 1, height: 1, width: 2 }, 1, 4);
    expect(Array.from(out)).toEqual([1, 1.5, 2.5, 3]);
  });

  it('averages a 2x2 to 1x1', () => {
    const out = resizeBilinear(Float32Array.from([1, 2, 3, 5]), { n: 1, channels: 1, height: 2, width: 2 }, 1, 1);
    // Center (0.5, 0.5) in source pixels: the mean of the four values, 2.75.
    expect(out[0]).toBeCloseTo(2.75, 6);
  });

  it('rejects a wrong length', () => {
    expect(() => resizeBilinear(new Float32Array(5), { n: 1, channels: 1, height: 2, width: 2 }, 4, 4)).toThrow(/5 values do not fill \[1, 1, 2, 2\]/);
  });
});
