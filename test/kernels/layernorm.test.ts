import { describe, expect, it } from 'vitest';
import { layerNorm, tensor } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gpuTensor, gradCheck, randomValues, roundF32 } from '../helpers/check.js';
import { expectAllWritten, LENGTHS, poisonPool } from './kernel-helpers.js';

const EPS = 1e-5;

/** float64 layer norm over rows of `len`; weight and bias may be absent. */
function referenceLayerNorm(x: Float64Array, len: number, weight?: Float64Array, bias?: Float64Array, eps = EPS): Float64Array {
  const out = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += len) {
    let mean = 0;
    for (let j = 0; j < len; j++) mean += x[base + j] / len;
    let variance = 0;
    for (let j = 0; j < len; j++) variance += (x[base + j] - mean) ** 2 / len;
    const rstd = 1 / Math.sqrt(variance + eps);
    for (let j = 0; j < len; j++) {
      out[base + j] = (x[base + j] - mean) * rstd * (weight?.[j] ?? 1) + (bias?.[j] ?? 0);
    }
  }
  return out;
}

// Forward: normalized values are O(1) with a few f32 roundings: rtol 1e-4, atol 1e-5.
// Gradients involve two row sums and rstd up to 1 / sqrt(var): atol 1e-4 covers the
// rounding of 257-term sums of O(1) values (about 257 * 6e-8 * a few).
const TOL = { rtol: 1e-4, atol: 1e-5 };
const GRAD_TOL = { rtol: 1e-3, atol: 1e-4 };

describe('layerNorm', () => {
  it('layerNorm lengths and gradients', async () => {
    const rng = new Rng(51);
    for (const len of LENGTHS) {
      const rows = 3;
      await gradCheck(
        `layerNorm [${rows},${len}]`,
        ([x, w, b]) => layerNorm(x, w, b),
        ([x, w, b]) => referenceLayerNorm(x, len, w, b),
        [
          { shape: [rows, len], values: randomValues([rows, len], rng) },
          { shape: [len], values: randomValues([len], rng, 0.5, 1.5) },
          { shape: [len], values: randomValues([len], rng) },
        ],
        { ...TOL, grad: GRAD_TOL },
      );
    }
  });

  it('layerNorm without affine', async () => {
    const rng = new Rng(52);
    const shape = [2, 3, 65];
    await gradCheck(
      'layerNorm [2,3,65] no weight or bias',
      ([x]) => layerNorm(x, null, null),
      ([x]) => referenceLayerNorm(x, 65),
      [{ shape, values: randomValues(shape, rng) }],
      { ...TOL, grad: GRAD_TOL },
    );
  });

  it('layerNorm weight only', async () => {
    const rng = new Rng(53);
    await gradCheck(
      'layerNorm [4,17] weight only eps 0.1',
      ([x, w]) => layerNorm(x, w, null, { eps: 0.1 }),
      ([x, w]) => referenceLayerNorm(x, 17, w, undefined, 0.1),
      [{ shape: [4, 17], values: randomValues([4, 17], rng) }, { shape: [17], values: randomValues([17], rng) }],
      { ...TOL, grad: GRAD_TOL },
    );
  });

  it('layerNorm large mean', async () => {
    const rng = new Rng(54);
    for (const len of [63, 257]) {
      for (const noise of [1, 0.05]) {
        const x = roundF32(randomValues([3, len], rng, 1e4 - noise, 1e4 + noise));
        const out = await layerNorm(gpuTensor(x, [3, len]), null, null).data();
        // The deviations from the row's first element are exact in f32, so the error is
        // that of normalizing O(1) values: 1e-4 relative (a naive E[x^2] - E[x]^2 gives O(1) errors).
        expectAllClose(out, referenceLayerNorm(x, len), { rtol: 1e-4, atol: 1e-4 }, `layerNorm 1e4 +- ${noise}, len ${len}`);
      }
    }
  });

  it('layerNorm large mean gradients', async () => {
    const rng = new Rng(55);
    const len = 17;
    await gradCheck(
      'layerNorm [2,17] at 1e4',
      ([x, w, b]) => layerNorm(x, w, b),
      ([x, w, b]) => referenceLayerNorm(x, len, w, b),
      [
        { shape: [2, len], values: randomValues([2, len], rng, 1e4 - 1, 1e4 + 1) },
        { shape: [len], values: randomValues([len], rng, 0.5, 1.5) },
        { shape: [len], values: randomValues([len], rng) },
      ],
      // Finite differences of step 1e-6 on inputs near 1e4 are accurate to ~1e-6 relative.
      { ...TOL, grad: { rtol: 2e-3, atol: 2e-4 } },
    );
  });

  it('layerNorm rejects bad weight', () => {
    const x = gpuTensor(Float64Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
    expect(() => layerNorm(x, gpuTensor(Float64Array.of(1, 2), [2]), null)).toThrow(/weight must be \[3\]/);
    expect(() => layerNorm(tensor(2), null, null)).toThrow(/at least 1 dim/);
  });

  it('layerNorm poisoned output', async () => {
    const rng = new Rng(56);
    const [rows, len] = [5, 257];
    const x = gpuTensor(randomValues([rows, len], rng), [rows, len], true);
    const w = gpuTensor(randomValues([len], rng), [len], true);
    const b = gpuTensor(randomValues([len], rng), [len], true);
    poisonPool(rows * len);
    poisonPool(len);
    const y = layerNorm(x, w, b);
    expectAllWritten(await y.data(), 'layerNorm forward');
    poisonPool(rows * len);
    poisonPool(len);
    y.backward(gpuTensor(randomValues([rows, len], rng), [rows, len]));
    expectAllWritten(await x.grad!.data(), 'layerNorm dx');
    expectAllWritten(await w.grad!.data(), 'layerNorm dweight');
    expectAllWritten(await b.grad!.data(), 'layerNorm dbias');
  });

  it('layerNorm many rows', async () => {
    // 300 rows exceed one 8-lane pass of the column kernel many times over.
    const rng = new Rng(57);
    const [rows, len] = [300, 33];
    const xv = roundF32(randomValues([rows, len], rng));
    const dyv = roundF32(randomValues([rows, len], rng));
    const x = gpuTensor(xv, [rows, len]);
    const w = gpuTensor(randomValues([len], rng), [len], true);
    const b = gpuTensor(randomValues([len], rng), [len], true);
    layerNorm(x, w, b).backward(gpuTensor(dyv, [rows, len]));
    const xhat = referenceLayerNorm(xv, len);
    const dw = new Float64Array(len);
    const db = new Float64Array(len);
    for (let i = 0; i < xv.length; i++) {
      dw[i % len] += dyv[i] * xhat[i];
      db[i % len] += dyv[i];
    }
    // 300-term sums of O(1) products: atol 1e-4.
    expectAllClose(await w.grad!.data(), dw, { rtol: 1e-4, atol: 1e-4 }, 'dweight');
    expectAllClose(await b.grad!.data(), db, { rtol: 1e-4, atol: 1e-4 }, 'dbias');
  });
});
