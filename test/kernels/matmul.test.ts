import { describe, expect, it } from 'vitest';
import { matmul, matmulReference, noGrad, tensor, type Epilogue } from '../../src/index.js';
import { broadcastShapes, broadcastStrides } from '../../src/tensor/shape.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gpuTensor, gradCheck, randomValues, roundF32, sizeOf } from '../helpers/check.js';
import { expectAllWritten, LENGTHS, poisonPool } from './kernel-helpers.js';

/** float64 matmul with broadcast batch dims, op(a) and op(b) as in matmul's transA and transB. */
function referenceBatched(a: Float64Array, aShape: number[], b: Float64Array, bShape: number[], transA = false, transB = false): Float64Array {
  const [aRows, aCols] = aShape.slice(-2);
  const [bRows, bCols] = bShape.slice(-2);
  const [M, K, N] = [transA ? aCols : aRows, transA ? aRows : aCols, transB ? bRows : bCols];
  const batchShape = broadcastShapes('reference', aShape.slice(0, -2), bShape.slice(0, -2));
  const aStrides = broadcastStrides(aShape.slice(0, -2), batchShape);
  const bStrides = broadcastStrides(bShape.slice(0, -2), batchShape);
  const out = new Float64Array(sizeOf(batchShape) * M * N);
  for (let batch = 0; batch < sizeOf(batchShape); batch++) {
    let rest = batch;
    let aOffset = 0;
    let bOffset = 0;
    for (let d = batchShape.length - 1; d >= 0; d--) {
      const i = rest % batchShape[d];
      rest = Math.floor(rest / batchShape[d]);
      aOffset += i * aStrides[d];
      bOffset += i * bStrides[d];
    }
    const c = matmulReference(a.subarray(aOffset * M * K), b.subarray(bOffset * K * N), M, K, N, { transA, transB });
    out.set(c, batch * M * N);
  }
  return out;
}

function erf(x: number): number {
  // float64 erf from its Taylor series, accurate to ~1e-15 for |x| < 3.
  let term = x;
  let total = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    total += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * total;
}

const ACTIVATIONS: Record<Epilogue, (v: number) => number> = {
  none: (v) => v,
  relu: (v) => Math.max(v, 0),
  gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
  geluTanh: (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
};

// Values in [-1, 1]: each of the K products and partial sums rounds once (relative
// 6e-8) on partial sums that stay below about 8 for these sizes, so 4e-7 * K bounds
// the f32 error with room to spare.
function tolerance(K: number): { rtol: number; atol: number } {
  return { rtol: 1e-5, atol: 4e-7 * Math.max(K, 1) + 1e-6 };
}

async function checkForward(M: number, K: number, N: number, rng: Rng, options: { transA?: boolean; transB?: boolean } = {}): Promise<void> {
  const aShape = options.transA ? [K, M] : [M, K];
  const bShape = options.transB ? [N, K] : [K, N];
  const a = roundF32(randomValues(aShape, rng, -1, 1));
  const b = roundF32(randomValues(bShape, rng, -1, 1));
  const out = matmul(gpuTensor(a, aShape), gpuTensor(b, bShape), options);
  expect(out.shape, `${M}x${K}x${N} shape`).toEqual([M, N]);
  const expected = matmulReference(a, b, M, K, N, options);
  expectAllClose(await out.data(), expected, tolerance(K), `${M}x${K}x${N} ${JSON.stringify(options)}`);
}

describe('matmul sizes', () => {
  for (const size of LENGTHS) {
    it(`matmul size ${size}`, async () => {
      const rng = new Rng(size);
      // Square, skinny in each dim, and the N <= 4 kernel.
      await checkForward(size, size, size, rng);
      await checkForward(size, 17, 65, rng);
      await checkForward(63, size, 3, rng);
      await checkForward(3, 65, size, rng);
      await checkForward(size, 127, 1, rng);
      await checkForward(1, size, 4, rng);
    });
  }

  it('matmul transposed operands', async () => {
    const rng = new Rng(11);
    for (const [M, K, N] of [[17, 63, 65], [65, 3, 17], [1, 127, 64], [127, 1, 3], [40, 20, 4], [33, 64, 2]]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) await checkForward(M, K, N, rng, { transA, transB });
      }
    }
  });
});

describe('matmul gradients', () => {
  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
    it(`matmul gradCheck transA ${transA} transB ${transB}`, async () => {
      const rng = new Rng(transA ? 3 : 4 + (transB ? 1 : 0));
      for (const [M, K, N] of [[3, 5, 7], [17, 4, 3], [1, 9, 33]]) {
        const aShape = transA ? [K, M] : [M, K];
        const bShape = transB ? [N, K] : [K, N];
        await gradCheck(
          `matmul ${M}x${K}x${N}`,
          ([a, b]) => matmul(a, b, { transA, transB }),
          ([a, b]) => matmulReference(a, b, M, K, N, { transA, transB }),
          [{ shape: aShape, values: randomValues(aShape, rng, -1, 1) }, { shape: bShape, values: randomValues(bShape, rng, -1, 1) }],
          { rtol: 1e-4, atol: 1e-4 },
        );
      }
    });
  }

  it('matmul broadcast batch dims', async () => {
    const rng = new Rng(21);
    const cases: [number[], number[], boolean, boolean][] = [
      [[2, 1, 5, 7], [3, 7, 6], false, false],
      [[4, 3, 5], [1, 3, 2], true, false],
      [[2, 5, 7], [2, 9, 7], false, true],
      [[3, 17, 5], [5, 65], false, false],
    ];
    for (const [aShape, bShape, transA, transB] of cases) {
      await gradCheck(
        `matmul ${JSON.stringify(aShape)} @ ${JSON.stringify(bShape)}`,
        ([a, b]) => matmul(a, b, { transA, transB }),
        ([a, b]) => referenceBatched(a, aShape, b, bShape, transA, transB),
        [{ shape: aShape, values: randomValues(aShape, rng, -1, 1) }, { shape: bShape, values: randomValues(bShape, rng, -1, 1) }],
        { rtol: 1e-4, atol: 1e-4 },
      );
    }
  });

  for (const activation of ['none', 'relu', 'gelu', 'geluTanh'] as const) {
    it(`matmul bias epilogue ${activation}`, async () => {
      const rng = new Rng(activation.length);
      for (const [M, K, N] of [[17, 9, 65], [5, 6, 3]]) {
        await gradCheck(
          `matmul ${M}x${K}x${N} bias ${activation}`,
          ([a, b, bias]) => matmul(a, b, { bias, activation }),
          ([a, b, bias]) => matmulReference(a, b, M, K, N, { bias }).map(ACTIVATIONS[activation]),
          [
            { shape: [M, K], values: randomValues([M, K], rng, -1, 1) },
            { shape: [K, N], values: randomValues([K, N], rng, -1, 1) },
            { shape: [N], values: randomValues([N], rng, -1, 1) },
          ],
          { rtol: 1e-4, atol: 1e-4 },
        );
      }
    });
  }

  it('matmul fused gelu without grad', async () => {
    const rng = new Rng(31);
    const [M, K, N] = [19, 33, 70];
    const a = roundF32(randomValues([M, K], rng, -1, 1));
    const b = roundF32(randomValues([K, N], rng, -1, 1));
    const bias = roundF32(randomValues([N], rng, -1, 1));
    const z = matmulReference(a, b, M, K, N, { bias });
    const inputs = [gpuTensor(a, [M, K], true), gpuTensor(b, [K, N], true), gpuTensor(bias, [N], true)];
    for (const activation of ['gelu', 'geluTanh'] as const) {
      const out = noGrad(() => matmul(inputs[0], inputs[1], { bias: inputs[2], activation }));
      expect(out.gradFn, `${activation} records no gradient`).toBeNull();
      // The erf approximation of the kernel is within 1.5e-7 of erf.
      expectAllClose(await out.data(), z.map(ACTIVATIONS[activation]), { rtol: 1e-5, atol: 2e-5 }, activation);
    }
  });
});

describe('matmul outputs and errors', () => {
  it('matmul poisoned output', async () => {
    const rng = new Rng(41);
    for (const [M, K, N] of [[17, 63, 65], [65, 5, 3], [1, 7, 129]]) {
      poisonPool(M * N);
      const out = matmul(gpuTensor(randomValues([M, K], rng), [M, K]), gpuTensor(randomValues([K, N], rng), [K, N]));
      expectAllWritten(await out.data(), `${M}x${K}x${N}`);
    }
  });

  it('matmul rejects mismatched shapes', () => {
    const rng = new Rng(42);
    const a = gpuTensor(randomValues([3, 4], rng), [3, 4]);
    const b = gpuTensor(randomValues([5, 6], rng), [5, 6]);
    expect(() => matmul(a, b)).toThrow('matmul: shapes [3,4] and [5,6] do not match (4 != 5)');
    const c = gpuTensor(randomValues([4, 6], rng), [4, 6]);
    const bias = tensor(Float32Array.from([1, 2, 3]));
    expect(() => matmul(a, c, { bias })).toThrow('matmul: bias shape [3] does not match output columns [6]');
    expect(() => matmul(a, c, { activation: 'swish' as Epilogue })).toThrow(/activation must be one of none, relu, gelu, geluTanh/);
  });
});
