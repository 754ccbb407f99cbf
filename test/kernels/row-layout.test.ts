// The row kernels at the edges of their team sizes (src/ops/row-layout.ts): one
// thread per row up to 64 elements, teams of 2, 4 and 8 threads just above, and the
// 256-thread team of rows longer than 8192. Some short lengths use enough rows for
// two workgroups of teams, the second one partly empty.

import { describe, expect, it } from 'vitest';
import { crossEntropy, klDivergence, layerNorm, logSoftmax, max, softmax, sum, tensor } from '../../src/index.js';
import { MAX_THREADS_PER_ROW, threadsPerRow } from '../../src/ops/row-layout.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gpuTensor, gradCheck, randomValues, roundF32 } from '../helpers/check.js';

/** Lengths at each switch of team size: 1 -> 2 at 64, 2 -> 4 at 128, 4 -> 8 at 256. */
const BOUNDARY_LENGTHS = [1, 17, 63, 64, 65, 127, 128, 129, 257];
/** Shortest row that gets the full 256-thread team. */
const LONG = 8193;

/**
 * Rows that fill one workgroup of teams and 3 rows of the next for lengths where the
 * O(n^2) finite differences stay cheap (1, 17, 65, 129), else 3 rows in one workgroup.
 */
function rowsFor(len: number): number {
  if (![1, 17, 65, 129].includes(len)) return 3;
  const threads = threadsPerRow(len);
  return Math.max(64, threads) / threads + 3;
}

function referenceLayerNorm(x: Float64Array, len: number, w: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += len) {
    let mean = 0;
    for (let j = 0; j < len; j++) mean += x[base + j] / len;
    let variance = 0;
    for (let j = 0; j < len; j++) variance += (x[base + j] - mean) ** 2 / len;
    const rstd = 1 / Math.sqrt(variance + 1e-5);
    for (let j = 0; j < len; j++) out[base + j] = (x[base + j] - mean) * rstd * w[j] + b[j];
  }
  return out;
}

function referenceSoftmax(x: Float64Array, len: number, log: boolean): Float64Array {
  const out = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += len) {
    let m = -Infinity;
    for (let j = 0; j < len; j++) m = Math.max(m, x[base + j]);
    let s = 0;
    for (let j = 0; j < len; j++) s += Math.exp(x[base + j] - m);
    for (let j = 0; j < len; j++) out[base + j] = log ? x[base + j] - m - Math.log(s) : Math.exp(x[base + j] - m) / s;
  }
  return out;
}

function logSumExp(x: Float64Array, base: number, len: number, scale = 1): number {
  let m = -Infinity;
  for (let j = 0; j < len; j++) m = Math.max(m, x[base + j] * scale);
  let s = 0;
  for (let j = 0; j < len; j++) s += Math.exp(x[base + j] * scale - m);
  return m + Math.log(s);
}

/** Per-row cross-entropy with label smoothing 0.1 ('none' reduction). */
function referenceCrossEntropy(x: Float64Array, targets: number[], len: number): Float64Array {
  return Float64Array.from(targets, (t, r) => {
    const base = r * len;
    const lse = logSumExp(x, base, len);
    let meanX = 0;
    for (let j = 0; j < len; j++) meanX += x[base + j] / len;
    return 0.9 * (lse - x[base + t]) + 0.1 * (lse - meanX);
  });
}

/** T^2 * mean over rows of KL(softmax(t / T) || softmax(s / T)). */
function referenceKl(s: Float64Array, t: Float64Array, len: number, temperature: number): Float64Array {
  const rows = s.length / len;
  let total = 0;
  for (let base = 0; base < s.length; base += len) {
    const lseS = logSumExp(s, base, len, 1 / temperature);
    const lseT = logSumExp(t, base, len, 1 / temperature);
    for (let j = 0; j < len; j++) {
      const logP = t[base + j] / temperature - lseT;
      total += Math.exp(logP) * (logP - (s[base + j] / temperature - lseS));
    }
  }
  return Float64Array.of((total * temperature * temperature) / rows);
}

function rowFold(x: Float64Array, len: number, fold: (acc: number, v: number) => number, start: number): Float64Array {
  return Float64Array.from({ length: x.length / len }, (_, r) => x.subarray(r * len, (r + 1) * len).reduce(fold, start));
}

// Forward: a few f32 roundings of O(1) values, rtol 1e-4, atol 1e-5. Gradients add row
// sums of up to 257 O(1) terms, whose f32 rounding stays below 1e-4 absolute.
const TOL = { rtol: 1e-4, atol: 1e-5 };
const GRAD_TOL = { rtol: 1e-3, atol: 1e-4 };

describe('row layout', () => {
  it('team sizes at boundaries', () => {
    const cases: [number, number][] = [[1, 1], [64, 1], [65, 2], [128, 2], [129, 4], [257, 8], [8192, 128], [LONG, 256], [1e6, 256]];
    for (const [len, threads] of cases) expect(threadsPerRow(len), `len ${len}`).toBe(threads);
    expect(threadsPerRow(LONG)).toBe(MAX_THREADS_PER_ROW);
  });

  it('layerNorm boundary gradients', async () => {
    const rng = new Rng(81);
    for (const len of BOUNDARY_LENGTHS) {
      const rows = rowsFor(len);
      await gradCheck(
        `layerNorm [${rows},${len}]`,
        ([x, w, b]) => layerNorm(x, w, b),
        ([x, w, b]) => referenceLayerNorm(x, len, w, b),
        [
          { shape: [rows, len], values: randomValues([rows, len], rng) },
          { shape: [len], values: randomValues([len], rng, 0.5, 1.5) },
          { shape: [len], values: randomValues([len], rng) },
        ],
        // dweight and dbias sum over up to 67 rows as well: atol 2e-4.
        { ...TOL, grad: { rtol: 1e-3, atol: 2e-4 } },
      );
    }
  });

  it('layerNorm large mean teams', async () => {
    const rng = new Rng(82);
    for (const len of [64, 65, LONG]) {
      const x = roundF32(randomValues([3, len], rng, 1e4 - 0.05, 1e4 + 0.05));
      const ones = new Float64Array(len).fill(1);
      const out = await layerNorm(gpuTensor(x, [3, len]), null, null).data();
      // Deviations from the row's first element are exact in f32 (see layernorm.wgsl).
      expectAllClose(out, referenceLayerNorm(x, len, ones, new Float64Array(len)), { rtol: 1e-4, atol: 1e-4 }, `layerNorm 1e4 len ${len}`);
    }
  });

  for (const log of [false, true]) {
    const name = log ? 'logSoftmax' : 'softmax';
    it(`${name} boundary gradients`, async () => {
      const rng = new Rng(log ? 83 : 84);
      for (const len of BOUNDARY_LENGTHS) {
        const rows = rowsFor(len);
        await gradCheck(
          `${name} [${rows},${len}]`,
          ([x]) => (log ? logSoftmax(x) : softmax(x)),
          ([x]) => referenceSoftmax(x, len, log),
          [{ shape: [rows, len], values: randomValues([rows, len], rng, -4, 4) }],
          { ...TOL, grad: GRAD_TOL },
        );
      }
    });
  }

  it('crossEntropy boundary gradients', async () => {
    const rng = new Rng(85);
    for (const len of BOUNDARY_LENGTHS) {
      const rows = rowsFor(len);
      const targets = Array.from({ length: rows }, () => rng.int(len));
      await gradCheck(
        `crossEntropy [${rows},${len}]`,
        ([x]) => crossEntropy(x, tensor(Int32Array.from(targets)), { reduction: 'none', labelSmoothing: 0.1 }),
        ([x]) => referenceCrossEntropy(x, targets, len),
        [{ shape: [rows, len], values: randomValues([rows, len], rng, -3, 3) }],
        { ...TOL, grad: GRAD_TOL },
      );
    }
  });

  it('klDivergence boundary gradients', async () => {
    // The teacher gradient comes from the same saved row stats as the student one, and
    // leaving it out halves the O(n^2) finite differences.
    const rng = new Rng(86);
    for (const len of BOUNDARY_LENGTHS) {
      const rows = rowsFor(len);
      await gradCheck(
        `klDivergence [${rows},${len}]`,
        ([s, t]) => klDivergence(s, t, { temperature: 2 }),
        ([s, t]) => referenceKl(s, t, len, 2),
        [
          { shape: [rows, len], values: randomValues([rows, len], rng, -3, 3) },
          { shape: [rows, len], values: randomValues([rows, len], rng, -3, 3), noGrad: true },
        ],
        { ...TOL, grad: GRAD_TOL },
      );
    }
  });

  it('sum and max boundary rows', async () => {
    const rng = new Rng(87);
    for (const len of BOUNDARY_LENGTHS) {
      const rows = rowsFor(len);
      await gradCheck(
        `sum [${rows},${len}] dim 1`,
        ([x]) => sum(x, 1),
        ([x]) => rowFold(x, len, (a, v) => a + v, 0),
        [{ shape: [rows, len], values: randomValues([rows, len], rng) }],
        // Sums of up to 257 values in [-2, 2]: f32 error below 9 * 6e-8 * 514 = 3e-4.
        { rtol: 1e-5, atol: 3e-4 },
      );
      const x = roundF32(randomValues([rows, len], rng));
      // max picks an element: exact.
      expectAllClose(await max(gpuTensor(x, [rows, len]), 1).data(), rowFold(x, len, (a, v) => Math.max(a, v), -Infinity), { rtol: 0, atol: 0 }, `max [${rows},${len}]`);
    }
  });

  it('max NaN in every team lane', async () => {
    for (const len of [2, 65, 257, LONG]) {
      // Row r has its NaN at column r, so the NaN sits in a different lane of each team.
      const rows = Math.min(len, 9);
      const x = roundF32(randomValues([rows, len], new Rng(88)));
      for (let r = 0; r < rows; r++) x[r * len + r] = Number.NaN;
      const input = tensor(Float32Array.from(x), { shape: [rows, len], allowNonFinite: true });
      const out = await max(input, 1).data();
      for (let r = 0; r < rows; r++) expect(Number.isNaN(out[r]), `max len ${len} row ${r} is NaN`).toBe(true);
    }
  });

  it('long rows forward', async () => {
    const rng = new Rng(89);
    const rows = 3;
    const x = roundF32(randomValues([rows, LONG], rng));
    const t = roundF32(randomValues([rows, LONG], rng));
    const w = roundF32(randomValues([LONG], rng, 0.5, 1.5));
    const b = roundF32(randomValues([LONG], rng));
    const gx = gpuTensor(x, [rows, LONG]);
    const targets = [5, LONG - 1, 0];

    expectAllClose(await layerNorm(gx, gpuTensor(w, [LONG]), gpuTensor(b, [LONG])).data(), referenceLayerNorm(x, LONG, w, b), TOL, 'layerNorm');
    expectAllClose(await softmax(gx).data(), referenceSoftmax(x, LONG, false), TOL, 'softmax');
    expectAllClose(await logSoftmax(gx).data(), referenceSoftmax(x, LONG, true), TOL, 'logSoftmax');
    const ce = crossEntropy(gx, tensor(Int32Array.from(targets)), { reduction: 'none', labelSmoothing: 0.1 });
    expectAllClose(await ce.data(), referenceCrossEntropy(x, targets, LONG), TOL, 'crossEntropy');
    expectAllClose(await klDivergence(gx, gpuTensor(t, [rows, LONG])).data(), referenceKl(x, t, LONG, 1), TOL, 'klDivergence');
    // Sums of 8193 values in [-2, 2]: f32 error below 14 * 6e-8 * 16386 = 1.4e-2.
    expectAllClose(await sum(gx, 1).data(), rowFold(x, LONG, (a, v) => a + v, 0), { rtol: 0, atol: 1.4e-2 }, 'sum');
  });

  it('long rows gradients', async () => {
    // Central differences over 8193-element rows cost O(n^2) on the CPU, so the
    // gradients are checked against the closed forms in float64 instead.
    const rng = new Rng(90);
    const rows = 2;
    const x = roundF32(randomValues([rows, LONG], rng));
    const dy = roundF32(randomValues([rows, LONG], rng));

    const gx = gpuTensor(x, [rows, LONG], true);
    layerNorm(gx, null, null).backward(gpuTensor(dy, [rows, LONG]));
    const xhat = referenceLayerNorm(x, LONG, new Float64Array(LONG).fill(1), new Float64Array(LONG));
    const expected = new Float64Array(x.length);
    for (let base = 0; base < x.length; base += LONG) {
      let mean = 0;
      let variance = 0;
      let meanG = 0;
      let meanGx = 0;
      for (let j = 0; j < LONG; j++) mean += x[base + j] / LONG;
      for (let j = 0; j < LONG; j++) variance += (x[base + j] - mean) ** 2 / LONG;
      for (let j = 0; j < LONG; j++) meanG += dy[base + j] / LONG;
      for (let j = 0; j < LONG; j++) meanGx += (dy[base + j] * xhat[base + j]) / LONG;
      const rstd = 1 / Math.sqrt(variance + 1e-5);
      for (let j = 0; j < LONG; j++) expected[base + j] = rstd * (dy[base + j] - meanG - xhat[base + j] * meanGx);
    }
    // The row means carry f32 errors of ~1e-6 on O(1) terms.
    expectAllClose(await gx.grad!.data(), expected, GRAD_TOL, 'layerNorm dx');

    const sx = gpuTensor(x, [rows, LONG], true);
    const y = referenceSoftmax(x, LONG, false);
    softmax(sx).backward(gpuTensor(dy, [rows, LONG]));
    const expectedSoftmax = new Float64Array(x.length);
    for (let base = 0; base < x.length; base += LONG) {
      let s = 0;
      for (let j = 0; j < LONG; j++) s += dy[base + j] * y[base + j];
      for (let j = 0; j < LONG; j++) expectedSoftmax[base + j] = y[base + j] * (dy[base + j] - s);
    }
    // Probabilities are ~1e-4 here, so dx is ~1e-4 and its f32 error far below 1e-7.
    expectAllClose(await sx.grad!.data(), expectedSoftmax, { rtol: 1e-3, atol: 1e-7 }, 'softmax dx');
  });
});
