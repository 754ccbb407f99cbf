// Reductions over any set of dims: sum, mean, max and variance.
//
// The reduced dims are moved last (one strided copy, skipped when they already are
// last), so the kernel in shaders/reduce.wgsl reduces contiguous rows, each with a
// team of threads sized by src/ops/row-layout.ts. Reduced dims that lead skip the
// copy: shaders/reduce-columns.wgsl folds each column in place.

import { record } from '../autograd/engine.js';
import { dispatch, grid, packParams } from '../gpu/runtime.js';
import { formatShape, normalizeDims, sameShape, sizeOf, stridesOf, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { compare } from './binary.js';
import { assertFloat, filled, gather } from './kernels.js';
import { rowLayout } from './row-layout.js';
import { expand, reshape } from './shape-ops.js';

export interface ReduceOptions {
  keepDim?: boolean;
}

export interface VarOptions extends ReduceOptions {
  /** Subtracted from the count in the divisor: 1 (default, as in PyTorch) is the unbiased estimate. */
  correction?: number;
}

interface Plan {
  dims: number[];
  keptShape: number[];
  /** Output shape with the reduced dims kept as 1. */
  keepDimShape: number[];
  rows: number;
  len: number;
}

function plan(op: string, x: Tensor, dims: number | number[] | undefined): Plan {
  // A rank-0 tensor accepts dim 0 or -1 (as in PyTorch), which reduces nothing.
  const list = normalizeDims(op, dims, x.rank).filter((d) => d < x.rank);
  const keptShape = x.shape.filter((_, d) => !list.includes(d));
  const keepDimShape = x.shape.map((s, d) => (list.includes(d) ? 1 : s));
  return { dims: list, keptShape, keepDimShape, rows: sizeOf(keptShape), len: sizeOf(list.map((d) => x.shape[d])) };
}

/** Reduces contiguous rows of the (permuted) input with sum or max. */
function reduceRows(x: Tensor, p: Plan, kind: 'sum' | 'max', op: string): Tensor {
  const kept = x.shape.map((_, d) => d).filter((d) => !p.dims.includes(d));
  // Reduced dims that lead, with enough kept columns to fill the SIMD lanes, are
  // folded in place by the column kernel instead of being permuted last first.
  const leading = p.dims.every((d) => d < p.dims.length);
  if (leading && p.rows >= MIN_COLUMNS && p.len > 0) return reduceColumns(x, p, kind, op);
  const order = [...kept, ...p.dims];
  const trailing = order.every((d, i) => d === i);
  const strides = stridesOf(x.shape);
  const source = trailing ? x : gather(x, order.map((d) => x.shape[d]), order.map((d) => strides[d]), `${op} (permute)`);

  const out = Tensor.empty(p.keptShape, 'float32', op);
  if (p.rows > 0) {
    const layout = rowLayout(p.rows, p.len);
    dispatch({
      shader: 'reduce',
      defines: { ...layout.defines, IS_MAX: kind === 'max' ? 'true' : 'false' },
      buffers: [source.buffer, out.buffer],
      params: packParams([['u32', p.rows], ['u32', p.len], ['u32', kind === 'max' ? 0xff800000 : 0]]),
      workgroups: layout.workgroups,
    });
  }
  if (source !== x) source.dispose();
  return out;
}

/** Minimum kept elements for the column kernel. Below it, the permute and row kernel keep more threads busy. */
const MIN_COLUMNS = 32;

function reduceColumns(x: Tensor, p: Plan, kind: 'sum' | 'max', op: string): Tensor {
  const out = Tensor.empty(p.keptShape, 'float32', op);
  dispatch({
    shader: 'reduce-columns',
    defines: { IS_MAX: kind === 'max' ? 'true' : 'false' },
    buffers: [x.buffer, out.buffer],
    params: packParams([['u32', p.rows], ['u32', p.len], ['u32', kind === 'max' ? 0xff800000 : 0]]),
    workgroups: grid(p.rows, 64),
    label: `${op} (columns)`,
  });
  return out;
}

function finish(out: Tensor, p: Plan, options: ReduceOptions): Tensor {
  if (!options.keepDim || sameShape(p.keepDimShape, out.shape)) return out;
  const shaped = reshape(out, p.keepDimShape);
  return shaped;
}

export function sum(x: Tensor, dims?: number | number[], options: ReduceOptions = {}): Tensor {
  assertFloat('sum', x);
  const p = plan('sum', x, dims);
  const raw = p.len === 0 ? filled(p.keptShape, 0, 'float32', 'sum') : reduceRows(x, p, 'sum', 'sum');
  const out = record(raw, 'sum', [x], (dy) => [expand(reshape(dy, p.keepDimShape), x.shape)]);
  return finish(out, p, options);
}

/** Averages over dims. Over zero elements the result is NaN, as in PyTorch, because the sum 0 times the scale 1 / 0 = inf is NaN. */
export function mean(x: Tensor, dims?: number | number[], options: ReduceOptions = {}): Tensor {
  const p = plan('mean', x, dims);
  return sum(x, dims, options).mul(1 / p.len);
}

/** Maximum over dims. Where several elements tie for the maximum, the gradient is split equally among them. */
export function max(x: Tensor, dims?: number | number[], options: ReduceOptions = {}): Tensor {
  assertFloat('max', x);
  const p = plan('max', x, dims);
  if (p.len === 0) throw new Error(`max: reducing ${formatShape(x.shape)} over dims ${JSON.stringify(p.dims)} has no elements`);
  const raw = reduceRows(x, p, 'max', 'max');
  const out = record(raw, 'max', [x], (dy) => {
    const isMax = compare('==', x, reshape(raw, p.keepDimShape));
    const count = sum(isMax, p.dims, { keepDim: true });
    return [isMax.mul(reshape(dy, p.keepDimShape)).div(count)];
  });
  return finish(out, p, options);
}

/**
 * Computes the variance over dims, with Bessel's correction by default. As in
 * PyTorch, the divisor is max(0, count - correction), so with no degrees of freedom
 * the result is inf, or NaN where every deviation is 0 (always so for one element or none).
 */
export function variance(x: Tensor, dims?: number | number[], options: VarOptions = {}): Tensor {
  const p = plan('var', x, dims);
  const correction = options.correction ?? 1;
  const centered = x.sub(mean(x, p.dims, { keepDim: true }));
  return sum(centered.mul(centered), p.dims, { keepDim: options.keepDim }).mul(1 / Math.max(0, p.len - correction));
}

/** Sums a broadcast gradient back to `shape` (leading dims and dims of size 1). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const dims: number[] = [];
  for (let d = 0; d < g.rank; d++) {
    if (d < lead || (shape[d - lead] === 1 && g.shape[d] !== 1)) dims.push(d);
  }
  const summed = dims.length > 0 ? sum(g, dims, { keepDim: true }) : g;
  return reshape(summed, [...shape]);
}
