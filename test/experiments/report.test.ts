import { describe, expect, it } from 'vitest';
import { enumerateCells, parseShard, shardCells, type CellResult } from '../../src/experiments/cells.js';
import { summarize, toCsv, toMarkdown } from '../../src/experiments/report.js';

function result(method: string, seed: number, evalMetric: number): CellResult {
  return {
    cell: { task: 'fashion', method, seed },
    metricName: 'accuracy',
    higherIsBetter: true,
    evalMetric,
    validationMetric: evalMetric,
    selection: 'best-on-validation',
    hyperparameters: {},
    curve: [],
    seconds: 1,
    notes: [],
  };
}

describe('summarize', () => {
  const results = [result('scratch', 0, 0.7), result('scratch', 1, 0.8), result('td', 0, 0.8), result('td', 1, 0.85)];

  it('computes mean, standard error and improvement', () => {
    const summary = summarize(results, ['scratch', 'td']);
    const td = summary.rows.find((r) => r.method === 'td')!;
    expect(td.mean).toBeCloseTo(0.825, 12);
    expect(td.standardError).toBeCloseTo(0.025, 12);
    expect(td.relativeImprovement).toBeCloseTo((100 * (0.825 - 0.75)) / 0.75, 10);
  });

  it('gives scratch no improvement', () => {
    const scratch = summarize(results, ['scratch', 'td']).rows.find((r) => r.method === 'scratch')!;
    expect(scratch.relativeImprovement).toBeNull();
  });

  it('writes csv and markdown rows', () => {
    const summary = summarize(results, ['scratch', 'td']);
    expect(toCsv(summary).trim().split('\n')).toHaveLength(3);
    const md = toMarkdown(summary, ['scratch', 'td'], 'Results');
    expect(md).toContain('| td | 0.8250 ± 0.0250 | 2 | +10.00% | best-on-validation |');
  });
});

describe('shards', () => {
  it('cover every cell exactly once', () => {
    const cells = enumerateCells(['a', 'b'], ['scratch', 'td', 'ld'], [0, 1, 2]);
    const parts = [0, 1, 2, 3].map((i) => shardCells(cells, { index: i, count: 4 }));
    expect(parts.flat()).toHaveLength(cells.length);
    expect(new Set(parts.flat()).size).toBe(cells.length);
  });

  it('reject a malformed shard', () => {
    expect(() => parseShard('4/4')).toThrow(/0 <= i < n/);
    expect(() => parseShard('x')).toThrow(/expected i\/n/);
  });
});
