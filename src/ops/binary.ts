// Elementwise binary ops and `where`, with NumPy broadcasting done by index
// arithmetic in shaders/binary.wgsl and shaders/where.wgsl. A broadcast that
// collapses to two dims (src/ops/broadcast-plan.ts) runs shaders/binary-vec4.wgsl
// when its rows are vec4-aligned, and shaders/binary-2d.wgsl otherwise. The gradient of a
// broadcast input is summed back to the input's shape by `sumToShape`.

import { record } from '../autograd/engine.js';
import { dispatch, grid, packParams } from '../gpu/runtime.js';
import { broadcastShapes, broadcastStrides, checkRank, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { collapseBroadcast } from './broadcast-plan.js';
import { applyUnary } from './elementwise.js';
import { assertFloat, filled, packDims } from './kernels.js';
import { sumToShape } from './reduce.js';

function u32s(values: number[]): ['u32', number][] {
  return values.map((v) => ['u32', v]);
}

function runBinary(op: string, expr: string, l: Tensor, r: Tensor): Tensor {
  assertFloat(op, l, r);
  const shape = broadcastShapes(op, l.shape, r.shape);
  checkRank(op, shape);
  const out = Tensor.empty(shape, 'float32', op);
  const n = sizeOf(shape);
  if (n === 0) return out;
  const dims = collapseBroadcast(shape, l.shape, r.shape);
  if (dims.length <= 2 && n < 2 ** 24) {
    const [rows, cols] = dims.length === 2 ? dims : [{ size: 1, strides: [0, 0] }, dims[0] ?? { size: 1, strides: [0, 0] }];
    const params = packParams([
      ['u32', n], ['u32', cols.size], ['f32', cols.size], ['u32', 0],
      ...u32s([rows.strides[0], cols.strides[0], rows.strides[1], cols.strides[1]]),
    ]);
    // Four outputs per thread need rows that start on a vec4 boundary of the output and
    // of every operand read along the row.
    const aligned = (rows.size === 1 || cols.size % 4 === 0) && [0, 1].every((k) => cols.strides[k] === 0 || rows.strides[k] % 4 === 0);
    const shader = aligned ? 'binary-vec4' : 'binary-2d';
    const threads = aligned ? Math.ceil(n / 4) : n;
    dispatch({ shader, defines: { EXPR: expr }, buffers: [l.buffer, r.buffer, out.buffer], params, workgroups: grid(threads, 256), label: op });
    return out;
  }
  const params = packParams([
    ...u32s([n, shape.length, 0, 0]),
    ...u32s(packDims(shape, 1)),
    ...u32s(packDims(broadcastStrides(l.shape, shape), 0)),
    ...u32s(packDims(broadcastStrides(r.shape, shape), 0)),
  ]);
  dispatch({ shader: 'binary', defines: { EXPR: expr }, buffers: [l.buffer, r.buffer, out.buffer], params, workgroups: grid(n, 256), label: op });
  return out;
}

function tensorOperand(op: string, t: Tensor | number): Tensor {
  if (typeof t === 'number') throw new Error(`${op}: both operands are numbers; at least one must be a tensor`);
  return t;
}

/** a + b with broadcasting. Either operand may be a number. */
export function add(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof a === 'number') return add(tensorOperand('add', b), a);
  if (typeof b === 'number') return applyUnary('affine', a, 1, b, 'add');
  const out = runBinary('add', 'l + r', a, b);
  return record(out, 'add', [a, b], (dy) => [sumToShape(dy, a.shape), sumToShape(dy, b.shape)]);
}

/** a - b with broadcasting. Either operand may be a number. */
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof a === 'number') return applyUnary('affine', tensorOperand('sub', b), -1, a, 'sub');
  if (typeof b === 'number') return applyUnary('affine', a, 1, -b, 'sub');
  const out = runBinary('sub', 'l - r', a, b);
  return record(out, 'sub', [a, b], (dy) => [sumToShape(dy, a.shape), b.requiresGrad ? sumToShape(dy.neg(), b.shape) : null]);
}

/** a * b with broadcasting. Either operand may be a number. */
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof a === 'number') return mul(tensorOperand('mul', b), a);
  if (typeof b === 'number') return applyUnary('affine', a, b, 0, 'mul');
  const out = runBinary('mul', 'l * r', a, b);
  return record(out, 'mul', [a, b], (dy) => [
    a.requiresGrad ? sumToShape(mul(dy, b), a.shape) : null,
    b.requiresGrad ? sumToShape(mul(dy, a), b.shape) : null,
  ]);
}

/** a / b with broadcasting. Either operand may be a number. */
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof a === 'number') return rdiv(a, tensorOperand('div', b));
  if (typeof b === 'number') return applyUnary('affine', a, 1 / b, 0, 'div');
  const out = runBinary('div', 'l / r', a, b);
  // d(a/b) = da / b - a db / b^2 = da / b - out db / b
  return record(out, 'div', [a, b], (dy) => [
    a.requiresGrad ? sumToShape(div(dy, b), a.shape) : null,
    b.requiresGrad ? sumToShape(div(mul(dy, out), b).neg(), b.shape) : null,
  ]);
}

/** `scalar / x` elementwise. */
export function rdiv(scalar: number, x: Tensor): Tensor {
  return applyUnary('reciprocal', x, scalar, 0, 'div');
}

/** Returns the WGSL of one operand's share of the gradient of maximum or minimum. `wins` is true where that operand alone is the result. */
function extremumShare(wins: string): string {
  // As in PyTorch 1.13: half each on ties, and the whole gradient to both operands where either is NaN.
  return `select(select(select(0.0, 1.0, ${wins}), 0.5, l == r), 1.0, isNan(l) || isNan(r))`;
}

function extremum(op: 'maximum' | 'minimum', a: Tensor, b: Tensor): Tensor {
  const fn = op === 'maximum' ? 'max' : 'min';
  const beats = op === 'maximum' ? '>' : '<';
  // WGSL leaves max and min of NaN to the implementation, so a NaN operand is picked explicitly.
  const out = runBinary(op, `select(select(${fn}(l, r), r, isNan(r)), l, isNan(l))`, a, b);
  return record(out, op, [a, b], (dy) => [
    a.requiresGrad ? sumToShape(mul(dy, runBinary(`${op} backward`, extremumShare(`l ${beats} r`), a, b)), a.shape) : null,
    b.requiresGrad ? sumToShape(mul(dy, runBinary(`${op} backward`, extremumShare(`r ${beats} l`), a, b)), b.shape) : null,
  ]);
}

/** Elementwise maximum with broadcasting: NaN where either operand is NaN. On ties each operand gets half the gradient. */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return extremum('maximum', a, b);
}

/** Elementwise minimum with broadcasting: NaN where either operand is NaN. On ties each operand gets half the gradient. */
export function minimum(a: Tensor, b: Tensor): Tensor {
  return extremum('minimum', a, b);
}

/** 1.0 where the comparison holds, else 0.0 (no gradient). As in IEEE 754, only != is true where an operand is NaN. */
export function compare(op: '==' | '!=' | '<' | '<=' | '>' | '>=', a: Tensor, b: Tensor): Tensor {
  // The NaN test is explicit, because lavapipe compiles != as an ordered comparison (NaN != 1 is false).
  const eitherNan = 'isNan(l) || isNan(r)';
  const condition = op === '!=' ? `l != r || ${eitherNan}` : `l ${op} r && !(${eitherNan})`;
  return runBinary(`compare ${op}`, `select(0.0, 1.0, ${condition})`, a, b);
}

/**
 * Elementwise `cond ? a : b` with broadcasting. `cond` may be int32 or float32;
 * nonzero means true. Gradients flow to `a` where cond is true and to `b` elsewhere.
 */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  assertFloat('where', a, b);
  const shape = broadcastShapes('where', cond.shape, a.shape, b.shape);
  checkRank('where', shape);
  const out = Tensor.empty(shape, 'float32', 'where');
  const n = sizeOf(shape);
  if (n > 0) {
    // For float32, -0.0 has the sign bit set but is false.
    const condExpr = cond.dtype === 'int32' ? 'bits != 0u' : '(bits & 0x7fffffffu) != 0u';
    const params = packParams([
      ...u32s([n, shape.length, 0, 0]),
      ...u32s(packDims(shape, 1)),
      ...u32s(packDims(broadcastStrides(cond.shape, shape), 0)),
      ...u32s(packDims(broadcastStrides(a.shape, shape), 0)),
      ...u32s(packDims(broadcastStrides(b.shape, shape), 0)),
    ]);
    dispatch({
      shader: 'where',
      defines: { COND: condExpr },
      buffers: [cond.buffer, a.buffer, b.buffer, out.buffer],
      params,
      workgroups: grid(n, 256),
    });
  }
  return record(out, 'where', [a, b], (dy) => {
    const zero = filled([], 0, 'float32', 'where backward');
    return [
      a.requiresGrad ? sumToShape(where(cond, dy, zero), a.shape) : null,
      b.requiresGrad ? sumToShape(where(cond, zero, dy), b.shape) : null,
    ];
  });
}
