// Shape and layout ops. `reshape` aliases its input's storage; transpose, permute,
// slice, expand and concat copy through the strided copy kernel (shaders/copy.wgsl),
// so every tensor stays contiguous.

import { record } from '../autograd/engine.js';
import {
  checkRank,
  formatShape,
  normalizeDim,
  sameShape,
  sizeOf,
  stridesOf,
  type Shape,
} from '../tensor/shape.js';
import { copyBuffer } from '../gpu/runtime.js';
import { Tensor } from '../tensor/tensor.js';
import { filled, gather, stridedCopy } from './kernels.js';
import { sumToShape } from './reduce.js';

/** Same data, new shape; one dim may be -1 and is inferred. Shares storage with `x`. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(x, shape);
  if (sameShape(target, x.shape)) return x;
  const out = new Tensor(x.storage, target, x.dtype, 'reshape');
  return record(out, 'reshape', [x], (dy) => [reshape(dy, x.shape)]);
}

function inferShape(x: Tensor, shape: readonly number[]): number[] {
  const unknown = shape.filter((d) => d === -1).length;
  const bad = shape.find((d) => !Number.isInteger(d) || d < -1);
  if (unknown > 1 || bad !== undefined) {
    throw new Error(`reshape: invalid target shape ${formatShape(shape)} (dims are integers >= 0, at most one -1)`);
  }
  const known = sizeOf(shape.filter((d) => d !== -1));
  // The inferred dim of an empty target is 0.
  const inferred = known === 0 ? 0 : x.size / known;
  const target = shape.map((d) => (d === -1 ? inferred : d));
  if (sizeOf(target) !== x.size || !target.every(Number.isInteger)) {
    throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
  }
  return target;
}

/** Merges dims startDim..endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normalizeDim('flatten', startDim, x.rank);
  const e = normalizeDim('flatten', endDim, x.rank);
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const merged = sizeOf(x.shape.slice(s, e + 1));
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/** Reorders dims: out.shape[i] = x.shape[dims[i]]. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.rank) {
    throw new Error(`permute: got ${dims.length} dims ${JSON.stringify(dims)} for a tensor of shape ${formatShape(x.shape)} (rank ${x.rank})`);
  }
  const order = dims.map((d) => normalizeDim('permute', d, x.rank));
  if (new Set(order).size !== order.length) {
    throw new Error(`permute: dims ${JSON.stringify(dims)} repeat a dim of ${formatShape(x.shape)}; list each dim once`);
  }
  if (order.every((d, i) => d === i)) return x;
  checkRank('permute', x.shape);

  const strides = stridesOf(x.shape);
  const shape = order.map((d) => x.shape[d]);
  const out = gather(x, shape, order.map((d) => strides[d]), 'permute');
  const inverse = new Array<number>(order.length);
  order.forEach((d, i) => (inverse[d] = i));
  return record(out, 'permute', [x], (dy) => [permute(dy, inverse)]);
}

export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  if (x.rank < 2 && dim0 === -2 && dim1 === -1) return x;
  const a = normalizeDim('transpose', dim0, x.rank);
  const b = normalizeDim('transpose', dim1, x.rank);
  const order = x.shape.map((_, i) => i);
  order[a] = b;
  order[b] = a;
  return permute(x, order);
}

/** Elements start .. end-1 along `dim` (negative indices count from the end, as in Python). */
export function slice(x: Tensor, dim: number, start: number, end?: number): Tensor {
  if (x.rank === 0) throw new Error('slice: cannot slice a rank-0 tensor; reshape it to [1] first');
  const d = normalizeDim('slice', dim, x.rank);
  const length = x.shape[d];
  const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + length : i, 0), length);
  const s = clampIndex(start);
  const e = Math.max(clampIndex(end ?? length), s);
  if (!Number.isInteger(start) || (end !== undefined && !Number.isInteger(end))) {
    throw new Error(`slice: start ${start} and end ${end} of ${formatShape(x.shape)} along dim ${dim} must be integers`);
  }
  if (s === 0 && e === length) return x;

  const strides = stridesOf(x.shape);
  const shape = x.shape.map((size, i) => (i === d ? e - s : size));
  const out = gather(x, shape, strides, 'slice', s * strides[d]);
  return record(out, 'slice', [x], (dy) => [padAlong(dy, x.shape, d, s)]);
}

/** Places `t` at offset `start` along `dim` inside zeros of `shape` (the gradient of slice). */
function padAlong(t: Tensor, shape: Shape, dim: number, start: number): Tensor {
  const out = filled(shape, 0, t.dtype, 'slice backward');
  const strides = stridesOf(shape);
  stridedCopy(t, out, t.shape, stridesOf(t.shape), strides, 0, start * strides[dim], 'slice backward');
  return out;
}

/** Broadcasts size-1 dims (and new leading dims) to `shape`; copies. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.rank;
  // -1 keeps an existing dim. A new leading dim has no size to keep, so -1 is invalid there.
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead] : d));
  const valid =
    lead >= 0 &&
    target.every((d) => Number.isInteger(d) && d >= 0) &&
    x.shape.every((s, i) => s === target[lead + i] || s === 1);
  if (!valid) throw new Error(`expand: cannot expand ${formatShape(x.shape)} to ${formatShape(shape)}`);
  if (sameShape(target, x.shape)) return x;
  checkRank('expand', target);

  const own = stridesOf(x.shape);
  const strides = target.map((_, i) => (i < lead || x.shape[i - lead] === 1 ? 0 : own[i - lead]));
  const out = gather(x, target, strides, 'expand');
  return record(out, 'expand', [x], (dy) => [sumToShape(dy, x.shape)]);
}

/** Joins tensors along `dim`; all other dims must match. */
export function concat(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error('concat: needs at least one tensor');
  const first = tensors[0];
  if (first.rank === 0) throw new Error('concat: cannot join rank-0 tensors; reshape them to [1] first');
  const d = normalizeDim('concat', dim, first.rank);
  for (const t of tensors) {
    const listed = tensors.map((x) => `${formatShape(x.shape)} ${x.dtype}`).join(', ');
    if (t.dtype !== first.dtype) {
      throw new Error(`concat: tensors ${listed} mix dtypes; convert them to one dtype first`);
    }
    if (t.rank !== first.rank || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new Error(`concat: shapes ${listed} differ outside dim ${dim}`);
    }
  }
  const shape = first.shape.map((s, i) => (i === d ? tensors.reduce((n, t) => n + t.shape[d], 0) : s));
  const out = Tensor.empty(shape, first.dtype, 'concat');
  const outStrides = stridesOf(shape);
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    offsets.push(offset);
    stridedCopy(t, out, t.shape, stridesOf(t.shape), outStrides, 0, offset * outStrides[d], 'concat');
    offset += t.shape[d];
  }
  // A copy of the list, so that a caller who later changes its array cannot change the graph.
  const inputs = [...tensors];
  return record(out, 'concat', inputs, (dy) =>
    inputs.map((t, i) => (t.requiresGrad ? slice(dy, d, offsets[i], offsets[i] + t.shape[d]) : null)),
  );
}

/** Returns a copy with its own storage. */
export function clone(x: Tensor): Tensor {
  // A buffer-to-buffer copy, which the adapter does as a plain memory copy, is far
  // cheaper than a copy kernel (on lavapipe about 30x for 600 KB).
  const out = Tensor.empty(x.shape, x.dtype, 'clone');
  if (x.size > 0) copyBuffer(x.buffer, out.buffer, 4 * x.size);
  return record(out, 'clone', [x], (dy) => [dy]);
}

export function zerosLike(x: Tensor): Tensor {
  return filled(x.shape, 0, x.dtype, 'zerosLike');
}

export function onesLike(x: Tensor): Tensor {
  return filled(x.shape, 1, x.dtype, 'onesLike');
}
