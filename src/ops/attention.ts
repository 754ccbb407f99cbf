// Scaled dot-product attention, fused: softmax(scale Q K^T, masked) V in one kernel
// per pass, without the queries x keys score matrix (shaders/attention-*.wgsl).
//
// The forward pass saves only its output and the row logsumexp. The logsumexp
// sits after the output in the output's own storage, so it lives exactly as long
// as the output, which the backward pass needs anyway. Backward recomputes the
// scores (FlashAttention-2): one pass over the keys per query row gives dQ and
// delta = rowsum(dO * O), one pass over the queries per key row gives dK and dV.

import { record } from '../autograd/engine.js';
import { gpu } from '../gpu/device.js';
import { dispatch, packParams, placeholderBuffer } from '../gpu/runtime.js';
import type { ShaderName } from '../gpu/shader-sources.js';
import { broadcastStrides, formatShape, sameShape } from '../tensor/shape.js';
import { Storage } from '../tensor/storage.js';
import { Tensor } from '../tensor/tensor.js';
import { assertFloat } from './kernels.js';

export interface AttentionOptions {
  /**
   * Broadcasts to [batch, heads, queries, keys]; float32 or int32. A nonzero
   * entry lets the query attend to the key.
   */
  mask?: Tensor;
  /** Hide key j from query i when j > i (top-left aligned, as in PyTorch). */
  causal?: boolean;
  /** Multiplies the scores; defaults to 1 / sqrt(headDim). */
  scale?: number;
}

/**
 * Largest head dim. Each thread keeps up to 4 * RPT rows of head-dim floats in
 * private memory, and the compile time grows with that code.
 * NOTE: on llvmpipe (Mesa 25.0, 2 busy cores) the first forward and backward at head
 * dim 64 compiled for about 75 s. The workgroup-memory kernels these replaced took
 * about 7 s, and at head dim 16 it was 16 s against 5 s. Mesa's shader cache makes
 * later runs start fast.
 */
export const MAX_HEAD_DIM = 256;

export interface AttentionTiling {
  /** Threads per workgroup. */
  threads: number;
  /** Query rows per thread in the forward pass and the dQ pass. */
  queryRows: number;
  /** Key rows per thread in the dK, dV pass. */
  keyRows: number;
}

/**
 * Chooses the workgroup shape for a head dim; see the header of shaders/attention-forward.wgsl.
 * A workgroup is one subgroup wide where the adapter reports its size (8 on llvmpipe),
 * so short sequences leave few idle lanes. Several rows per thread reuse each loaded
 * K or Q row. At head dim 64 on llvmpipe, 2 key rows per thread compiled 2x slower
 * and ran no faster than 1, and 4 ran 2x slower, so large head dims get fewer.
 */
export function attentionTiling(headDim: number): AttentionTiling {
  const width = gpu().adapter.info?.subgroupMaxSize;
  const threads = width !== undefined && width >= 8 && width <= 64 ? width : 32;
  const small = headDim <= 16;
  return { threads, queryRows: small ? 4 : 2, keyRows: small ? 2 : 1 };
}

/** Defines of the row loads: one vec4f per load where rows are 16-byte aligned. */
export function rowDefines(headDim: number): { ROW: string; WIDTH: number; PUT: string } {
  if (headDim % 4 === 0) return { ROW: 'vec4f', WIDTH: 4, PUT: 'return x;' };
  return { ROW: 'f32', WIDTH: 1, PUT: 'var s = r;\n  s[c] = x;\n  return s;' };
}

interface Problem {
  batch: number;
  heads: number;
  queries: number;
  keys: number;
  headDim: number;
  scale: number;
  causal: boolean;
  mask: Tensor | undefined;
}

function checkInputs(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): Problem {
  const op = 'scaledDotProductAttention';
  assertFloat(op, q, k, v);
  const shapes = `q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`;
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new Error(`${op}: q, k and v must be [batch, heads, tokens, headDim], got ${shapes}`);
  }
  const [batch, heads, queries, headDim] = q.shape;
  const keys = k.shape[2];
  if (headDim > MAX_HEAD_DIM) {
    throw new Error(`${op}: head dim ${headDim} is larger than the maximum ${MAX_HEAD_DIM}; use more heads of a smaller head dim`);
  }
  if (!sameShape(k.shape, v.shape) || k.shape[0] !== batch || k.shape[1] !== heads || k.shape[3] !== headDim) {
    throw new Error(`${op}: k and v must be [${batch}, ${heads}, keys, ${headDim}] to match q, got ${shapes}`);
  }
  const scale = options.scale ?? 1 / Math.sqrt(headDim);
  if (!Number.isFinite(scale)) throw new Error(`${op}: scale must be a finite number, got ${scale}`);

  const mask = options.mask;
  if (mask !== undefined) {
    const target = [batch, heads, queries, keys];
    const offset = 4 - mask.rank;
    if (offset < 0 || !mask.shape.every((d, i) => d === 1 || d === target[offset + i])) {
      throw new Error(`${op}: mask ${formatShape(mask.shape)} does not broadcast to [batch, heads, queries, keys] ${formatShape(target)}`);
    }
  }
  return { batch, heads, queries, keys, headDim, scale, causal: options.causal ?? false, mask };
}

function attentionParams(pr: Problem, lseOffset: number): ArrayBuffer {
  const maskStrides = pr.mask ? broadcastStrides(pr.mask.shape, [pr.batch, pr.heads, pr.queries, pr.keys]) : [0, 0, 0, 0];
  return packParams([
    ['u32', pr.batch * pr.heads], ['u32', pr.heads], ['u32', pr.queries], ['u32', pr.keys],
    ['f32', pr.scale], ['u32', pr.causal ? 1 : 0], ['u32', pr.mask ? 1 : 0], ['u32', lseOffset],
    ...maskStrides.map((s): ['u32', number] => ['u32', s]),
    ['u32', pr.mask?.dtype === 'float32' ? 1 : 0],
  ]);
}

function launch(shader: ShaderName, pr: Problem, rows: number, buffers: GPUBuffer[], lseOffset: number): void {
  const { threads, queryRows, keyRows } = attentionTiling(pr.headDim);
  const rpt = shader === 'attention-backward-key' ? keyRows : queryRows;
  const maxPerDim = gpu().limits.maxComputeWorkgroupsPerDimension;
  const batchHeads = pr.batch * pr.heads;
  dispatch({
    shader,
    defines: { HEAD_DIM: pr.headDim, ROWS: threads, RPT: rpt, ...rowDefines(pr.headDim) },
    buffers,
    params: attentionParams(pr, lseOffset),
    workgroups: [Math.ceil(rows / (threads * rpt)), Math.min(batchHeads, maxPerDim), Math.ceil(batchHeads / maxPerDim)],
  });
}

/**
 * Attention of q [batch, heads, queries, headDim] over k and v [batch, heads, keys,
 * headDim]: softmax(scale q k^T) v with masked keys left out of the softmax. A
 * query with no visible key gets zeros. Gradients flow to q, k and v.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const pr = checkInputs(q, k, v, options);
  const outSize = q.size;
  const rows = pr.batch * pr.heads * pr.queries;
  const op = 'scaledDotProductAttention';
  const out = new Tensor(new Storage(Math.max(outSize + rows, 1) * 4, op), q.shape, 'float32', op);
  const maskBuffer = pr.mask?.buffer ?? placeholderBuffer();
  if (outSize > 0) {
    launch('attention-forward', pr, pr.queries, [q.buffer, k.buffer, v.buffer, maskBuffer, out.buffer], outSize);
  }

  return record(out, op, [q, k, v], (dO) => {
    const dq = Tensor.empty(q.shape, 'float32', `${op} backward`);
    const dk = Tensor.empty(k.shape, 'float32', `${op} backward`);
    const dv = Tensor.empty(v.shape, 'float32', `${op} backward`);
    const stats = Tensor.empty([rows, 2], 'float32', `${op} backward`);
    if (outSize > 0) {
      launch('attention-backward-query', pr, pr.queries,
        [q.buffer, k.buffer, v.buffer, out.buffer, dO.buffer, maskBuffer, dq.buffer, stats.buffer], outSize);
    }
    if (k.size > 0 && (k.requiresGrad || v.requiresGrad)) {
      launch('attention-backward-key', pr, pr.keys,
        [q.buffer, k.buffer, v.buffer, dO.buffer, maskBuffer, stats.buffer, dk.buffer, dv.buffer], outSize);
    }
    stats.dispose();
    return [q.requiresGrad ? dq : null, k.requiresGrad ? dk : null, v.requiresGrad ? dv : null];
  });
}

export interface AttentionReferenceShape {
  batch: number;
  heads: number;
  queries: number;
  keys: number;
  headDim: number;
}

export interface AttentionReferenceOptions {
  /** Mask values already broadcast to [batch, heads, queries, keys]; nonzero = visible. */
  mask?: ArrayLike<number>;
  causal?: boolean;
  scale?: number;
}

/** Returns, per (batch*head, query), the softmax weights over keys in float64, or null for a row with no visible key. */
function referenceWeights(q: ArrayLike<number>, k: ArrayLike<number>, s: AttentionReferenceShape, options: AttentionReferenceOptions): (Float64Array | null)[] {
  const { queries, keys, headDim: d } = s;
  const scale = options.scale ?? 1 / Math.sqrt(d);
  const rows: (Float64Array | null)[] = [];
  for (let bh = 0; bh < s.batch * s.heads; bh++) {
    for (let i = 0; i < queries; i++) {
      const scores = new Float64Array(keys).fill(-Infinity);
      for (let j = 0; j < keys; j++) {
        const hidden = (options.causal && j > i) || (options.mask !== undefined && options.mask[(bh * queries + i) * keys + j] === 0);
        if (hidden) continue;
        let dot = 0;
        for (let c = 0; c < d; c++) dot += q[(bh * queries + i) * d + c] * k[(bh * keys + j) * d + c];
        scores[j] = dot * scale;
      }
      const max = scores.reduce((a, b) => Math.max(a, b), -Infinity);
      if (max === -Infinity) {
        rows.push(null);
        continue;
      }
      let total = 0;
      for (let j = 0; j < keys; j++) total += (scores[j] = Math.exp(scores[j] - max));
      rows.push(scores.map((e) => e / total));
    }
  }
  return rows;
}

/** float64 reference of scaledDotProductAttention on flat row-major arrays. */
export function attentionReference(
  q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>,
  s: AttentionReferenceShape, options: AttentionReferenceOptions = {},
): Float64Array {
  const { keys, headDim: d } = s;
  const weights = referenceWeights(q, k, s, options);
  const out = new Float64Array(weights.length * d);
  weights.forEach((w, row) => {
    if (w === null) return;
    const bh = Math.floor(row / s.queries);
    for (let j = 0; j < keys; j++) {
      for (let c = 0; c < d; c++) out[row * d + c] += w[j] * v[(bh * keys + j) * d + c];
    }
  });
  return out;
}

/** float64 reference of the gradients of sum(out * dO) with respect to q, k and v. */
export function attentionReferenceBackward(
  q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, dO: ArrayLike<number>,
  s: AttentionReferenceShape, options: AttentionReferenceOptions = {},
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const { keys, headDim: d } = s;
  const scale = options.scale ?? 1 / Math.sqrt(d);
  const weights = referenceWeights(q, k, s, options);
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  weights.forEach((w, row) => {
    if (w === null) return;
    const bh = Math.floor(row / s.queries);
    // dP_j = dO . v_j;  dS_j = P_j (dP_j - sum_l P_l dP_l)
    const dP = new Float64Array(keys);
    let mean = 0;
    for (let j = 0; j < keys; j++) {
      for (let c = 0; c < d; c++) dP[j] += dO[row * d + c] * v[(bh * keys + j) * d + c];
      mean += w[j] * dP[j];
    }
    for (let j = 0; j < keys; j++) {
      const dS = w[j] * (dP[j] - mean) * scale;
      for (let c = 0; c < d; c++) {
        const kv = (bh * keys + j) * d + c;
        dv[kv] += w[j] * dO[row * d + c];
        dq[row * d + c] += dS * k[kv];
        dk[kv] += dS * q[row * d + c];
      }
    }
  });
  return { dq, dk, dv };
}
