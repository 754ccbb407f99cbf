import { describe, expect, it } from 'vitest';
import { crossEntropy, full, klDivergence, mseLoss, smoothL1Loss, tensor, type Reduction } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';
import { avoidKinks, expectAllClose, gpuTensor, gradCheck, randomValues, roundF32 } from '../helpers/check.js';
import { expectAllWritten, LENGTHS, poisonPool } from './kernel-helpers.js';

const IGNORE = -100;

function logSumExp(x: Float64Array, base: number, len: number, scale = 1): number {
  let m = -Infinity;
  for (let j = 0; j < len; j++) m = Math.max(m, x[base + j] * scale);
  let s = 0;
  for (let j = 0; j < len; j++) s += Math.exp(x[base + j] * scale - m);
  return m + Math.log(s);
}

function reduce(losses: number[], reduction: Reduction, count: number): Float64Array {
  if (reduction === 'none') return Float64Array.from(losses);
  const total = losses.reduce((a, b) => a + b, 0);
  return Float64Array.of(reduction === 'sum' ? total : total / count);
}

/** float64 cross-entropy with PyTorch's label smoothing and ignore_index. */
function referenceCrossEntropy(x: Float64Array, targets: number[], classes: number, smoothing: number, reduction: Reduction): Float64Array {
  const losses: number[] = [];
  let count = 0;
  targets.forEach((t, i) => {
    if (t === IGNORE) {
      losses.push(0);
      return;
    }
    count++;
    const base = i * classes;
    const lse = logSumExp(x, base, classes);
    let meanX = 0;
    for (let j = 0; j < classes; j++) meanX += x[base + j] / classes;
    losses.push((1 - smoothing) * (lse - x[base + t]) + smoothing * (lse - meanX));
  });
  return reduce(losses, reduction, count);
}

/** float64 T^2 * mean over rows of KL(softmax(t / T) || softmax(s / T)). */
function referenceKl(s: Float64Array, t: Float64Array, classes: number, temperature: number): Float64Array {
  const rows = s.length / classes;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    const lseS = logSumExp(s, base, classes, 1 / temperature);
    const lseT = logSumExp(t, base, classes, 1 / temperature);
    for (let j = 0; j < classes; j++) {
      const logP = t[base + j] / temperature - lseT;
      const logQ = s[base + j] / temperature - lseS;
      total += Math.exp(logP) * (logP - logQ);
    }
  }
  return Float64Array.of((total * temperature * temperature) / rows);
}

function randomTargets(rows: number, classes: number, rng: Rng, ignoreRow = -1): number[] {
  return Array.from({ length: rows }, (_, i) => (i === ignoreRow ? IGNORE : rng.int(classes)));
}

// Forward: the loss is a sum of a few f32-rounded O(1..10) terms per row, so rtol 1e-5
// (1e-4 with smoothing over 257 classes). Gradients: softmax minus target per element,
// atol 1e-5 covers the f32 rounding of exp and of the saved row statistics.
const TOL = { rtol: 1e-4, atol: 1e-5 };

describe('crossEntropy', () => {
  it('crossEntropy lengths reductions smoothing', async () => {
    const rng = new Rng(21);
    for (const classes of LENGTHS) {
      for (const reduction of ['mean', 'sum', 'none'] as Reduction[]) {
        for (const smoothing of [0, 0.1]) {
          const rows = 4;
          const targets = randomTargets(rows, classes, rng, 2);
          await gradCheck(
            `crossEntropy C=${classes} ${reduction} eps=${smoothing}`,
            ([x]) => crossEntropy(x, tensor(Int32Array.from(targets)), { reduction, labelSmoothing: smoothing }),
            ([x]) => referenceCrossEntropy(x, targets, classes, smoothing, reduction),
            [{ shape: [rows, classes], values: randomValues([rows, classes], rng, -3, 3) }],
            TOL,
          );
        }
      }
    }
  });

  it('crossEntropy custom ignoreIndex', async () => {
    const rng = new Rng(22);
    const targets = [2, 5, 1];
    const out = await crossEntropy(gpuTensor(randomValues([3, 4], rng), [3, 4]), tensor(Int32Array.from(targets)), {
      ignoreIndex: 5,
      reduction: 'none',
    }).data();
    expect(out[1]).toBe(0);
    expect(out[0]).toBeGreaterThan(0);
  });

  it('crossEntropy logits 1e4', async () => {
    const rng = new Rng(23);
    for (const classes of [3, 257]) {
      const values = roundF32(randomValues([3, classes], rng, -1e4, 1e4));
      const targets = randomTargets(3, classes, rng);
      const out = await crossEntropy(gpuTensor(values, [3, classes]), tensor(Int32Array.from(targets)), {
        reduction: 'none',
        labelSmoothing: 0.2,
      }).data();
      // Losses reach 2e4; x - max is exact near the max, so the relative error is f32 rounding.
      expectAllClose(out, referenceCrossEntropy(values, targets, classes, 0.2, 'none'), { rtol: 1e-5, atol: 1e-3 }, `C=${classes}`);
    }
  });

  it('crossEntropy target out of range on CPU', () => {
    const logits = gpuTensor(Float64Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
    expect(() => crossEntropy(logits, tensor(Int32Array.of(0, 3)))).toThrow(/target 3 is out of range for 3 classes/);
    expect(() => crossEntropy(logits, tensor(Int32Array.of(-1, 2)))).toThrow(/target -1 is out of range/);
  });

  it('crossEntropy target out of range on GPU', async () => {
    // full() creates the targets on the GPU, so their values are unknown to the CPU check.
    const logits = gpuTensor(Float64Array.of(1, 2, 3, 4, 5, 6), [2, 3], true);
    const loss = crossEntropy(logits, full([2], 3, { dtype: 'int32' }));
    expect(Number.isNaN(await loss.item())).toBe(true);
    loss.backward();
    expect((await logits.grad!.data()).every(Number.isNaN)).toBe(true);
  });

  it('crossEntropy all ignored mean', async () => {
    const loss = crossEntropy(gpuTensor(Float64Array.of(1, 2, 3), [1, 3]), tensor(Int32Array.of(IGNORE)));
    expect(Number.isNaN(await loss.item())).toBe(true);
  });

  it('crossEntropy poisoned output', async () => {
    const rng = new Rng(24);
    const [rows, classes] = [300, 5];
    const logits = gpuTensor(randomValues([rows, classes], rng), [rows, classes], true);
    const targets = tensor(Int32Array.from(randomTargets(rows, classes, rng, 7)));
    poisonPool(rows);
    const losses = crossEntropy(logits, targets, { reduction: 'none' });
    expectAllWritten(await losses.data(), 'crossEntropy forward');
    poisonPool(rows * classes);
    losses.backward(gpuTensor(randomValues([rows], rng), [rows]));
    expectAllWritten(await logits.grad!.data(), 'crossEntropy backward');
  });
});

describe('klDivergence', () => {
  it('klDivergence lengths temperatures', async () => {
    const rng = new Rng(31);
    for (const classes of LENGTHS) {
      for (const temperature of [1, 2.5]) {
        const shape = [3, classes];
        await gradCheck(
          `klDivergence C=${classes} T=${temperature}`,
          ([s, t]) => klDivergence(s, t, { temperature }),
          ([s, t]) => referenceKl(s, t, classes, temperature),
          [{ shape, values: randomValues(shape, rng, -3, 3) }, { shape, values: randomValues(shape, rng, -3, 3) }],
          TOL,
        );
      }
    }
  });

  it('klDivergence batch dims teacher frozen', async () => {
    const rng = new Rng(32);
    const shape = [2, 3, 17];
    await gradCheck(
      'klDivergence [2,3,17] frozen teacher',
      ([s, t]) => klDivergence(s, t, { temperature: 4 }),
      ([s, t]) => referenceKl(s, t, 17, 4),
      [{ shape, values: randomValues(shape, rng) }, { shape, values: randomValues(shape, rng), noGrad: true }],
      TOL,
    );
  });

  it('klDivergence logits 1e4', async () => {
    const rng = new Rng(33);
    const s = roundF32(randomValues([2, 65], rng, 1e4 - 3, 1e4 + 3));
    const t = roundF32(randomValues([2, 65], rng, 1e4 - 3, 1e4 + 3));
    const out = await klDivergence(gpuTensor(s, [2, 65]), gpuTensor(t, [2, 65]), { temperature: 2 }).data();
    // The reference uses the same f32-rounded logits, so only the kernel's rounding of O(1) differences counts.
    expectAllClose(out, referenceKl(s, t, 65, 2), { rtol: 1e-4, atol: 1e-6 }, 'klDivergence near 1e4');
  });

  it('klDivergence poisoned output', async () => {
    const rng = new Rng(34);
    const [rows, classes] = [300, 7];
    const s = gpuTensor(randomValues([rows, classes], rng), [rows, classes], true);
    const t = gpuTensor(randomValues([rows, classes], rng), [rows, classes], true);
    poisonPool(rows);
    const loss = klDivergence(s, t, { temperature: 2 });
    expectAllWritten([await loss.item()], 'klDivergence forward');
    poisonPool(rows * classes);
    loss.backward();
    expectAllWritten(await s.grad!.data(), 'klDivergence student gradient');
    expectAllWritten(await t.grad!.data(), 'klDivergence teacher gradient');
  });

  it('klDivergence rejects bad input', () => {
    const a = gpuTensor(Float64Array.of(1, 2, 3, 4), [2, 2]);
    expect(() => klDivergence(a, gpuTensor(Float64Array.of(1, 2), [1, 2]))).toThrow(/same shape/);
    expect(() => klDivergence(a, a, { temperature: 0 })).toThrow(/temperature must be/);
  });
});

describe('regression losses', () => {
  const referenceMse = (a: Float64Array, b: Float64Array, reduction: Reduction) =>
    reduce(Array.from(a, (v, i) => (v - b[i]) ** 2), reduction, a.length);
  const referenceSmoothL1 = (a: Float64Array, b: Float64Array, beta: number, reduction: Reduction) =>
    reduce(
      Array.from(a, (v, i) => {
        const d = Math.abs(v - b[i]);
        return d < beta ? (0.5 * d * d) / beta : d - 0.5 * beta;
      }),
      reduction,
      a.length,
    );

  it('mseLoss reductions', async () => {
    const rng = new Rng(41);
    for (const shape of [[1], [3, 17], [65]]) {
      for (const reduction of ['mean', 'sum', 'none'] as Reduction[]) {
        await gradCheck(
          `mseLoss ${JSON.stringify(shape)} ${reduction}`,
          ([a, b]) => mseLoss(a, b, { reduction }),
          ([a, b]) => referenceMse(a, b, reduction),
          [{ shape, values: randomValues(shape, rng) }, { shape, values: randomValues(shape, rng) }],
          TOL,
        );
      }
    }
  });

  it('smoothL1Loss betas reductions', async () => {
    const rng = new Rng(42);
    for (const beta of [0, 0.5, 1]) {
      for (const reduction of ['mean', 'sum', 'none'] as Reduction[]) {
        const shape = [3, 17];
        const b = randomValues(shape, rng);
        // Differences near 0 and +-beta are moved away so central differences do not straddle a kink.
        const d = avoidKinks(randomValues(shape, rng), [-beta, 0, beta], 1e-3);
        const a = roundF32(Float64Array.from(d, (v, i) => v + b[i]));
        await gradCheck(
          `smoothL1Loss beta=${beta} ${reduction}`,
          ([x, y]) => smoothL1Loss(x, y, { beta, reduction }),
          ([x, y]) => referenceSmoothL1(x, y, beta, reduction),
          [{ shape, values: a }, { shape, values: b }],
          TOL,
        );
      }
    }
  });

  it('losses reject shape mismatch', () => {
    const a = gpuTensor(Float64Array.of(1, 2, 3), [3]);
    const b = gpuTensor(Float64Array.of(1, 2, 3), [3, 1]);
    expect(() => mseLoss(a, b)).toThrow(/differ in shape/);
    expect(() => smoothL1Loss(a, b)).toThrow(/differ in shape/);
  });
});
