// Times matmul kernels in the page. Each shape runs once to compile its pipeline, then
// enough repeats to fill a small time budget. The time per matmul is the wall time of
// the repeats (submitted together, awaited once) divided by their number.

import { matmul, rand, sync, tidy, type Tensor } from '../../src/index.browser.js';

export interface BenchmarkRow {
  /** [batch] M x K @ K x N, e.g. "8 x 16x32 @ 32x16". */
  shape: string;
  milliseconds: number;
  /** 2 * batch * M * N * K floating-point operations per millisecond / 1e6. */
  gflops: number;
  repeats: number;
}

const BUDGET_MS = 400;
const MAX_REPEATS = 50;

async function timeRepeats(a: Tensor, b: Tensor, repeats: number): Promise<number> {
  const started = performance.now();
  for (let r = 0; r < repeats; r++) tidy(() => matmul(a, b)).dispose();
  await sync();
  return performance.now() - started;
}

/** Times one matmul per shape [batch, M, K, N] and returns a row per shape. */
export async function benchmarkMatmul(shapes: readonly [number, number, number, number][]): Promise<BenchmarkRow[]> {
  const rows: BenchmarkRow[] = [];
  for (const [batch, m, k, n] of shapes) {
    const a = rand(batch === 1 ? [m, k] : [batch, m, k]);
    const b = rand([k, n]);
    try {
      await timeRepeats(a, b, 1);
      const once = await timeRepeats(a, b, 1);
      const repeats = Math.max(1, Math.min(MAX_REPEATS, Math.floor(BUDGET_MS / Math.max(once, 0.01))));
      const milliseconds = (await timeRepeats(a, b, repeats)) / repeats;
      const flops = 2 * batch * m * n * k;
      rows.push({
        shape: `${batch === 1 ? '' : `${batch} x `}${m}x${k} @ ${k}x${n}`,
        milliseconds,
        gflops: flops / milliseconds / 1e6,
        repeats,
      });
    } finally {
      a.dispose();
      b.dispose();
    }
  }
  return rows;
}
