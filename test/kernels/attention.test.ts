import { describe, expect, it } from 'vitest';
import {
  attentionReference,
  attentionReferenceBackward,
  scaledDotProductAttention,
  tensor,
  type AttentionReferenceShape,
  type Tensor,
} from '../../src/index.js';
import { broadcastStrides } from '../../src/tensor/shape.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gpuTensor, gradCheck, randomValues, roundF32 } from '../helpers/check.js';
import { expectAllWritten, poisonPool } from './kernel-helpers.js';

type MaskKind = 'none' | 'float' | 'keyPadding' | 'causal' | 'causalAndMask';

interface Case {
  batch: number;
  heads: number;
  queries: number;
  keys: number;
  headDim: number;
  mask: MaskKind;
}

// Tokens 1, 17, 33 and 197 (197 on one batch and head only), head dims 8, 32, 64 and
// the unaligned 6; queries != keys for cross-attention and top-left causal alignment.
// On llvmpipe a workgroup covers 32 query rows at head dim <= 16 (8 threads of 4
// rows) and 16 above, so 17 and 33 tokens end inside a thread's rows. With 33 causal
// tokens the first of two workgroups stops at key 32.
// Head dim 64 appears once: its pipelines take llvmpipe tens of seconds to compile.
const CASES: Case[] = [
  { batch: 2, heads: 3, queries: 1, keys: 1, headDim: 8, mask: 'none' },
  { batch: 1, heads: 2, queries: 1, keys: 1, headDim: 32, mask: 'causal' },
  { batch: 2, heads: 3, queries: 17, keys: 17, headDim: 8, mask: 'none' },
  { batch: 2, heads: 2, queries: 17, keys: 17, headDim: 32, mask: 'float' },
  { batch: 2, heads: 2, queries: 17, keys: 17, headDim: 32, mask: 'causal' },
  { batch: 2, heads: 3, queries: 17, keys: 17, headDim: 6, mask: 'keyPadding' },
  { batch: 1, heads: 2, queries: 17, keys: 5, headDim: 32, mask: 'causal' },
  { batch: 2, heads: 1, queries: 5, keys: 17, headDim: 8, mask: 'causalAndMask' },
  { batch: 1, heads: 2, queries: 33, keys: 33, headDim: 8, mask: 'causal' },
  { batch: 1, heads: 1, queries: 197, keys: 197, headDim: 64, mask: 'causal' },
  { batch: 1, heads: 1, queries: 197, keys: 197, headDim: 32, mask: 'float' },
];

// Forward: each output is a convex combination of v (|v| <= 1) whose weights carry
// the f32 rounding of a 64-term dot product and an exp (relative ~1e-6): atol 1e-5.
// Gradients add sums over up to 197 keys or queries of such terms: atol 3e-5.
const FORWARD_TOL = { rtol: 1e-4, atol: 1e-5 };
const GRAD_TOL = { rtol: 1e-4, atol: 3e-5 };

interface MaskData {
  tensor?: Tensor;
  /** Broadcast to [batch, heads, queries, keys], for the reference. */
  full?: Float64Array;
  causal: boolean;
}

/** Expands mask values of `shape` to [batch, heads, queries, keys]. */
function broadcastMask(values: ArrayLike<number>, shape: number[], c: Case): Float64Array {
  const target = [c.batch, c.heads, c.queries, c.keys];
  const strides = broadcastStrides(shape, target);
  const out = new Float64Array(target.reduce((a, b) => a * b, 1));
  let n = 0;
  for (let b = 0; b < c.batch; b++) for (let h = 0; h < c.heads; h++) for (let i = 0; i < c.queries; i++) {
    for (let j = 0; j < c.keys; j++) out[n++] = values[b * strides[0] + h * strides[1] + i * strides[2] + j * strides[3]];
  }
  return out;
}

function makeMask(c: Case, rng: Rng): MaskData {
  const causal = c.mask === 'causal' || c.mask === 'causalAndMask';
  if (c.mask === 'none' || c.mask === 'causal') return { causal };
  if (c.mask === 'keyPadding') {
    // int32 [batch, 1, 1, keys]: batch b hides its last b + 1 keys.
    const shape = [c.batch, 1, 1, c.keys];
    const values = Int32Array.from({ length: c.batch * c.keys }, (_, n) => (n % c.keys < c.keys - 1 - Math.floor(n / c.keys) ? 1 : 0));
    return { tensor: tensor(values, { shape }), full: broadcastMask(values, shape, c), causal };
  }
  // float32 [queries, keys] with about a quarter hidden; nonzero values other than 1 must count as visible.
  const shape = [c.queries, c.keys];
  const values = Float32Array.from({ length: c.queries * c.keys }, () => (rng.uniform() < 0.25 ? 0 : 0.5 + rng.uniform()));
  return { tensor: tensor(values, { shape }), full: broadcastMask(values, shape, c), causal };
}

function caseName(c: Case): string {
  return `[${c.batch},${c.heads},${c.queries},${c.headDim}] keys ${c.keys} ${c.mask}`;
}

describe('scaledDotProductAttention', () => {
  for (const c of CASES) {
    it(`attention ${caseName(c)}`, async () => {
      const rng = new Rng(c.queries * 1000 + c.keys * 10 + c.headDim);
      const shape: AttentionReferenceShape = c;
      const q = roundF32(randomValues([c.batch, c.heads, c.queries, c.headDim], rng, -1, 1));
      const k = roundF32(randomValues([c.batch, c.heads, c.keys, c.headDim], rng, -1, 1));
      const v = roundF32(randomValues([c.batch, c.heads, c.keys, c.headDim], rng, -1, 1));
      const dO = roundF32(randomValues([c.batch, c.heads, c.queries, c.headDim], rng, -1, 1));
      const mask = makeMask(c, rng);

      const tq = gpuTensor(q, [c.batch, c.heads, c.queries, c.headDim], true);
      const tk = gpuTensor(k, [c.batch, c.heads, c.keys, c.headDim], true);
      const tv = gpuTensor(v, [c.batch, c.heads, c.keys, c.headDim], true);
      const out = scaledDotProductAttention(tq, tk, tv, { mask: mask.tensor, causal: mask.causal });
      out.backward(gpuTensor(dO, [c.batch, c.heads, c.queries, c.headDim]));

      const options = { mask: mask.full, causal: mask.causal };
      const expected = attentionReference(q, k, v, shape, options);
      const grads = attentionReferenceBackward(q, k, v, dO, shape, options);
      expectAllClose(await out.data(), expected, FORWARD_TOL, 'forward');
      expectAllClose(await tq.grad!.data(), grads.dq, GRAD_TOL, 'dq');
      expectAllClose(await tk.grad!.data(), grads.dk, GRAD_TOL, 'dk');
      expectAllClose(await tv.grad!.data(), grads.dv, GRAD_TOL, 'dv');
    });
  }
});

describe('scaledDotProductAttention edge cases', () => {
  const small = { batch: 1, heads: 2, queries: 3, keys: 4, headDim: 5 };
  const qShape = [1, 2, 3, 5];
  const kvShape = [1, 2, 4, 5];

  for (const variant of ['plain', 'causal', 'mask'] as const) {
    it(`attention gradCheck ${variant}`, async () => {
      const rng = new Rng(variant.length);
      // int32 [3, 4] mask broadcast over batch and heads; key 1 stays visible to query 0.
      const maskValues = Int32Array.from([0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1]);
      const mask = variant === 'mask' ? tensor(maskValues, { shape: [3, 4] }) : undefined;
      const full = variant === 'mask' ? Float64Array.from({ length: 24 }, (_, n) => maskValues[n % 12]) : undefined;
      const causal = variant === 'causal';
      await gradCheck(
        `attention ${variant}`,
        ([q, k, v]) => scaledDotProductAttention(q, k, v, { mask, causal, scale: 0.7 }),
        ([q, k, v]) => attentionReference(q, k, v, small, { mask: full, causal, scale: 0.7 }),
        [
          { shape: qShape, values: randomValues(qShape, rng, -1, 1) },
          { shape: kvShape, values: randomValues(kvShape, rng, -1, 1) },
          { shape: kvShape, values: randomValues(kvShape, rng, -1, 1) },
        ],
        { rtol: 1e-3, atol: 1e-4 },
      );
    });
  }

  it('attention fully masked row', async () => {
    const rng = new Rng(5);
    const c = { batch: 2, heads: 2, queries: 4, keys: 6, headDim: 8 };
    // [batch, 1, queries, keys]: query 2 of batch 1 has no visible key.
    const maskValues = Int32Array.from({ length: 2 * 4 * 6 }, (_, n) => (n >= 24 + 12 && n < 24 + 18 ? 0 : 1));
    const mask = tensor(maskValues, { shape: [2, 1, 4, 6] });
    const q = roundF32(randomValues([2, 2, 4, 8], rng, -1, 1));
    const k = roundF32(randomValues([2, 2, 6, 8], rng, -1, 1));
    const v = roundF32(randomValues([2, 2, 6, 8], rng, -1, 1));
    const dO = roundF32(randomValues([2, 2, 4, 8], rng, -1, 1));
    const tq = gpuTensor(q, [2, 2, 4, 8], true);
    const tk = gpuTensor(k, [2, 2, 6, 8], true);
    const tv = gpuTensor(v, [2, 2, 6, 8], true);
    const out = scaledDotProductAttention(tq, tk, tv, { mask });
    out.backward(gpuTensor(dO, [2, 2, 4, 8]));

    const values = await out.data();
    const dq = await tq.grad!.data();
    for (const head of [0, 1]) {
      const row = ((1 * 2 + head) * 4 + 2) * 8;
      expect(Array.from(values.subarray(row, row + 8)), `head ${head} output row`).toEqual(new Array(8).fill(0));
      expect(Array.from(dq.subarray(row, row + 8)), `head ${head} dq row`).toEqual(new Array(8).fill(0));
    }
    const full = broadcastMask(maskValues, [2, 1, 4, 6], { ...c, mask: 'keyPadding' });
    const grads = attentionReferenceBackward(q, k, v, dO, c, { mask: full });
    expectAllClose(values, attentionReference(q, k, v, c, { mask: full }), FORWARD_TOL, 'forward');
    expectAllClose(dq, grads.dq, GRAD_TOL, 'dq');
    expectAllClose(await tk.grad!.data(), grads.dk, GRAD_TOL, 'dk');
    expectAllClose(await tv.grad!.data(), grads.dv, GRAD_TOL, 'dv');
  });

  it('attention large scores stay finite', async () => {
    // Scores up to about 30 * 30 * 8 / sqrt(8) = 2500: exp overflows without the running maximum.
    const rng = new Rng(6);
    const c = { batch: 1, heads: 1, queries: 9, keys: 11, headDim: 8 };
    const q = roundF32(randomValues([1, 1, 9, 8], rng, -30, 30));
    const k = roundF32(randomValues([1, 1, 11, 8], rng, -30, 30));
    const v = roundF32(randomValues([1, 1, 11, 8], rng, -1, 1));
    const out = scaledDotProductAttention(gpuTensor(q, [1, 1, 9, 8]), gpuTensor(k, [1, 1, 11, 8]), gpuTensor(v, [1, 1, 11, 8]), { causal: true });
    // A score of 2500 carries an f32 error of about 2500 * 6e-8 = 1.5e-4, and so does its weight.
    expectAllClose(await out.data(), attentionReference(q, k, v, c, { causal: true }), { rtol: 1e-3, atol: 1e-3 }, 'forward');
  });

  it('attention poisoned outputs', async () => {
    const rng = new Rng(8);
    const shape = [2, 3, 7, 6];
    const q = gpuTensor(randomValues(shape, rng, -1, 1), shape, true);
    const k = gpuTensor(randomValues(shape, rng, -1, 1), shape, true);
    const v = gpuTensor(randomValues(shape, rng, -1, 1), shape, true);
    // The output storage also contains one logsumexp per row: 2 * 3 * 7 more floats.
    poisonPool(2 * 3 * 7 * 6 + 2 * 3 * 7);
    const out = scaledDotProductAttention(q, k, v, { causal: true });
    expectAllWritten(await out.data(), 'output');
    poisonPool(2 * 3 * 7 * 6);
    out.backward(gpuTensor(randomValues(shape, rng, -1, 1), shape));
    expectAllWritten(await q.grad!.data(), 'dq');
    expectAllWritten(await k.grad!.data(), 'dk');
    expectAllWritten(await v.grad!.data(), 'dv');
  });

  it('attention rejects mismatched shapes', () => {
    const q = gpuTensor(new Float64Array(2 * 3 * 4).fill(0.5), [1, 2, 3, 4]);
    const k = gpuTensor(new Float64Array(2 * 5 * 4).fill(0.5), [1, 2, 5, 4]);
    const v3 = gpuTensor(new Float64Array(2 * 5 * 3).fill(0.5), [1, 2, 5, 3]);
    expect(() => scaledDotProductAttention(q, k, v3)).toThrow(/k and v must be \[1, 2, keys, 4\]/);
    expect(() => scaledDotProductAttention(q.reshape([2, 3, 4]), k, k)).toThrow(/\[batch, heads, tokens, headDim\]/);
    const mask = tensor(Int32Array.from([1, 1, 1, 1]), { shape: [4] });
    expect(() => scaledDotProductAttention(q, k, k, { mask })).toThrow(/mask \[4\] does not broadcast/);
  });

  it('attention rejects too large head dim', () => {
    const headDim = 8192;
    const q = gpuTensor(new Float64Array(headDim).fill(0.5), [1, 1, 1, headDim]);
    expect(() => scaledDotProductAttention(q, q, q)).toThrow(/head dim 8192 is larger than the maximum 256/);
  });
});
