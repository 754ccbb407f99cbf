import { describe, expect, it } from 'vitest';
import { embedding, embeddingBag, full, tensor, type Tensor } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gpuTensor, gradCheck, randomValues, roundF32 } from '../helpers/check.js';
import { expectAllWritten, LENGTHS, poisonPool } from './kernel-helpers.js';

function referenceEmbedding(weight: Float64Array, dim: number, ids: ArrayLike<number>): Float64Array {
  const out = new Float64Array(ids.length * dim);
  for (let i = 0; i < ids.length; i++) for (let d = 0; d < dim; d++) out[i * dim + d] = weight[ids[i] * dim + d];
  return out;
}

function referenceBag(weight: Float64Array, dim: number, ids: number[], offsets: number[], mean: boolean): Float64Array {
  const bags = offsets.length - 1;
  const out = new Float64Array(bags * dim);
  for (let b = 0; b < bags; b++) {
    const size = offsets[b + 1] - offsets[b];
    for (let k = offsets[b]; k < offsets[b + 1]; k++) {
      for (let d = 0; d < dim; d++) out[b * dim + d] += weight[ids[k] * dim + d] / (mean ? size : 1);
    }
  }
  return out;
}

function randomIds(n: number, vocab: number, rng: Rng): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(vocab));
}

// Ids made by tensor() are sorted on the CPU for the backward pass. A clone has no
// CPU copy of its values, so it takes the GPU's bitonic sort.
const ID_SOURCES: [string, (ids: Tensor) => Tensor][] = [
  ['cpu sort', (ids) => ids],
  ['gpu sort', (ids) => ids.clone()],
];

// The forward is a copy (exact). The weight gradient sums at most a few dozen dy
// values per element: rtol 1e-5, atol 1e-6.
const TOL = { rtol: 1e-5, atol: 1e-6 };

describe('embedding', () => {
  it('embedding dims and gradients', async () => {
    const rng = new Rng(61);
    for (const [source, idsOf] of ID_SOURCES) {
      for (const dim of LENGTHS) {
        const vocab = 5;
        // 12 ids over 5 rows: every row repeats, and some rows may be absent.
        const ids = randomIds(12, vocab, rng);
        await gradCheck(
          `embedding [${vocab},${dim}] ids [3,4], ${source}`,
          ([w]) => embedding(w, idsOf(tensor(ids, { shape: [3, 4] }))),
          ([w]) => ({ shape: [3, 4, dim], data: referenceEmbedding(w, dim, ids) }),
          [{ shape: [vocab, dim], values: randomValues([vocab, dim], rng) }],
          TOL,
        );
      }
    }
  });

  it('embedding id shapes', async () => {
    const rng = new Rng(62);
    for (const shape of [[], [1], [17], [2, 1, 3]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const ids = randomIds(n, 7, rng);
      await gradCheck(
        `embedding ids ${JSON.stringify(shape)}`,
        ([w]) => embedding(w, tensor(ids, { shape })),
        ([w]) => ({ shape: [...shape, 3], data: referenceEmbedding(w, 3, ids) }),
        [{ shape: [7, 3], values: randomValues([7, 3], rng) }],
        TOL,
      );
    }
  });

  it('embedding backward deterministic', async () => {
    const rng = new Rng(63);
    // 3000 ids over 3 rows: about 1000 repeats per row, a non-power-of-two sort size.
    const [vocab, dim, n] = [3, 65, 3000];
    const ids = randomIds(n, vocab, rng);
    const dy = roundF32(randomValues([n, dim], rng));
    const runs: Float32Array[] = [];
    for (const [, idsOf] of ID_SOURCES) {
      for (let run = 0; run < 2; run++) {
        const w = gpuTensor(randomValues([vocab, dim], rng), [vocab, dim], true);
        embedding(w, idsOf(tensor(ids))).backward(gpuTensor(dy, [n, dim]));
        runs.push(await w.grad!.data());
      }
    }
    const expected = new Float64Array(vocab * dim);
    for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) expected[ids[i] * dim + d] += dy[i * dim + d];
    // 1000-term sums of values in [-2, 2]: f32 rounding stays below 1e-3 absolute.
    expectAllClose(runs[0], expected, { rtol: 1e-5, atol: 1e-3 }, 'summed gradient');
    expect(Buffer.from(runs[1].buffer).equals(Buffer.from(runs[0].buffer)), 'same bits on both runs').toBe(true);
    // Both sorts give the same order, so the sums are bit-identical across paths too.
    expect(Buffer.from(runs[2].buffer).equals(Buffer.from(runs[0].buffer)), 'same bits on both sorts').toBe(true);
    expect(Buffer.from(runs[3].buffer).equals(Buffer.from(runs[2].buffer)), 'same bits on gpu runs').toBe(true);
  });

  it('embedding sort sizes', async () => {
    const rng = new Rng(64);
    // Sizes around powers of two exercise the padding of the bitonic sort.
    for (const [source, idsOf] of ID_SOURCES) {
      for (const n of [1, 2, 3, 255, 256, 257, 1000]) {
        const [vocab, dim] = [11, 2];
        const ids = randomIds(n, vocab, rng);
        const dy = roundF32(randomValues([n, dim], rng));
        const w = gpuTensor(randomValues([vocab, dim], rng), [vocab, dim], true);
        embedding(w, idsOf(tensor(ids))).backward(gpuTensor(dy, [n, dim]));
        const expected = new Float64Array(vocab * dim);
        for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) expected[ids[i] * dim + d] += dy[i * dim + d];
        expectAllClose(await w.grad!.data(), expected, { rtol: 1e-5, atol: 1e-4 }, `${n} ids, ${source}`);
      }
    }
  });

  it('embedding id out of range on CPU', () => {
    const w = gpuTensor(randomValues([4, 2], new Rng(65)), [4, 2]);
    expect(() => embedding(w, tensor(Int32Array.of(0, 4)))).toThrow(/id 4 is out of range for a weight of 4 rows/);
    expect(() => embedding(w, tensor(Int32Array.of(-1)))).toThrow(/id -1 is out of range/);
  });

  it('embedding id out of range on GPU', async () => {
    // full() creates the ids on the GPU, so the CPU check cannot see them.
    const w = gpuTensor(randomValues([4, 2], new Rng(66)), [4, 2]);
    const out = await embedding(w, full([3], 9, { dtype: 'int32' })).data();
    expect(out.every(Number.isNaN)).toBe(true);
  });

  it('embedding poisoned output', async () => {
    const rng = new Rng(67);
    // 40 rows, 9 ids: most weight rows get no gradient and must be written as 0.
    const [vocab, dim] = [40, 33];
    const ids = tensor(randomIds(9, vocab, rng));
    const w = gpuTensor(randomValues([vocab, dim], rng), [vocab, dim], true);
    poisonPool(9 * dim);
    const y = embedding(w, ids);
    expectAllWritten(await y.data(), 'embedding forward');
    poisonPool(vocab * dim);
    y.backward(gpuTensor(randomValues([9, dim], rng), [9, dim]));
    expectAllWritten(await w.grad!.data(), 'embedding backward');
  });
});

describe('embeddingBag', () => {
  it('embeddingBag modes and gradients', async () => {
    const rng = new Rng(71);
    // Bags of sizes 3, 0 (empty), 1, 5 and 2 over a vocabulary of 6, with repeats.
    const offsets = [0, 3, 3, 4, 9, 11];
    const ids = Array.from(randomIds(11, 6, rng));
    for (const dim of [1, 17, 65]) {
      for (const mode of ['mean', 'sum'] as const) {
        await gradCheck(
          `embeddingBag ${mode} dim ${dim}`,
          ([w]) => embeddingBag(w, tensor(Int32Array.from(ids)), tensor(Int32Array.from(offsets)), { mode }),
          ([w]) => ({ shape: [5, dim], data: referenceBag(w, dim, ids, offsets, mode === 'mean') }),
          [{ shape: [6, dim], values: randomValues([6, dim], rng) }],
          TOL,
        );
      }
    }
  });

  it('embeddingBag empty bag zeros', async () => {
    const w = gpuTensor(randomValues([3, 4], new Rng(72)), [3, 4]);
    const out = await embeddingBag(w, tensor(Int32Array.of(1, 2)), tensor(Int32Array.of(0, 0, 2, 2))).data();
    expect(Array.from(out.slice(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(out.slice(8, 12))).toEqual([0, 0, 0, 0]);
  });

  it('embeddingBag backward deterministic', async () => {
    const rng = new Rng(73);
    const [vocab, dim, bags] = [4, 17, 200];
    const offsets = [0];
    for (let b = 0; b < bags; b++) offsets.push(offsets[b] + rng.int(12));
    const ids = randomIds(offsets[bags], vocab, rng);
    const dy = roundF32(randomValues([bags, dim], rng));
    const runs: Float32Array[] = [];
    for (const [, idsOf] of ID_SOURCES) {
      for (let run = 0; run < 2; run++) {
        const w = gpuTensor(randomValues([vocab, dim], rng), [vocab, dim], true);
        embeddingBag(w, idsOf(tensor(ids)), tensor(Int32Array.from(offsets))).backward(gpuTensor(dy, [bags, dim]));
        runs.push(await w.grad!.data());
      }
    }
    const expected = new Float64Array(vocab * dim);
    for (let b = 0; b < bags; b++) {
      for (let k = offsets[b]; k < offsets[b + 1]; k++) {
        for (let d = 0; d < dim; d++) expected[ids[k] * dim + d] += dy[b * dim + d] / (offsets[b + 1] - offsets[b]);
      }
    }
    expectAllClose(runs[0], expected, { rtol: 1e-5, atol: 1e-4 }, 'summed bag gradient');
    expect(Buffer.from(runs[1].buffer).equals(Buffer.from(runs[0].buffer)), 'same bits on both runs').toBe(true);
    // Both sorts give the same order, so the sums are bit-identical across paths too.
    expect(Buffer.from(runs[2].buffer).equals(Buffer.from(runs[0].buffer)), 'same bits on both sorts').toBe(true);
    expect(Buffer.from(runs[3].buffer).equals(Buffer.from(runs[2].buffer)), 'same bits on gpu runs').toBe(true);
  });

  it('embeddingBag poisoned output', async () => {
    const rng = new Rng(75);
    const [vocab, dim] = [30, 9];
    // Bags of sizes 2, 0, 3 and 0: the empty bags must be written as zeros.
    const offsets = tensor(Int32Array.of(0, 2, 2, 5, 5));
    const ids = tensor(randomIds(5, vocab, rng));
    const w = gpuTensor(randomValues([vocab, dim], rng), [vocab, dim], true);
    poisonPool(4 * dim);
    const y = embeddingBag(w, ids, offsets, { mode: 'sum' });
    expectAllWritten(await y.data(), 'embeddingBag forward');
    poisonPool(vocab * dim);
    y.backward(gpuTensor(randomValues([4, dim], rng), [4, dim]));
    expectAllWritten(await w.grad!.data(), 'embeddingBag backward');
  });

  it('embeddingBag rejects bad offsets', () => {
    const w = gpuTensor(randomValues([3, 2], new Rng(74)), [3, 2]);
    const ids = tensor(Int32Array.of(0, 1, 2));
    expect(() => embeddingBag(w, ids, tensor(Int32Array.of(0, 4)))).toThrow(/offsets range \[0, 4\] exceeds \[0, 3\]/);
    expect(() => embeddingBag(w, ids, tensor(Int32Array.of(0, 3)), { mode: 'max' as 'sum' })).toThrow(/mode must be/);
  });
});
