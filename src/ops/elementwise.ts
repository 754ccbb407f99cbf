// Elementwise unary ops. Each entry is the single definition of one op: its WGSL
// forward and backward expressions (run by shaders/unary*.wgsl) and its float64
// CPU reference with derivative, which the tests use. The table is typed by the op
// name, so an op without a gradient or a reference does not compile.
//
// NaN inputs give NaN outputs as in PyTorch, except pow(NaN, 0) = 1 (as in C). The
// gradients at NaN follow PyTorch 1.13: relu passes dy, clamp and abs give 0, and the
// other ops apply their formula, which is NaN wherever it depends on v.

import { record } from '../autograd/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { assertFloat, runUnary, runUnaryBackward, type UnaryKernel } from './kernels.js';

export interface UnaryOp extends UnaryKernel {
  /** float64 reference of the forward pass. */
  cpu: (v: number, a: number, b: number) => number;
  /** float64 reference of d(out)/d(v). */
  cpuGrad: (v: number, a: number, b: number) => number;
}

// Overflow-safe tanh: tanh(x) = sign(x) (1 - e^{-2|x|}) / (1 + e^{-2|x|}). Below |x| = 0.1
// 1 - e cancels (relative error 3e-7 / |x|), so the Taylor series x - x^3/3 + 2x^5/15
// - 17x^7/315 is used there; its first omitted term is below 3e-10 relative.
const TANH = `fn tanh_safe(x: f32) -> f32 {
  if (abs(x) < 0.1) {
    let x2 = x * x;
    return x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 - x2 * (17.0 / 315.0))));
  }
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}`;

// erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7), which is
// within f32 rounding of the result for gelu.
const ERF = `fn erf_approx(x: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(x));
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
  return sign(x) * y;
}`;

// A bit test, because compilers may fold `v != v` to false (lavapipe does). WGSL leaves
// min and max of NaN to the implementation, so ops that use them test for NaN first.
const IS_NAN = `fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }`;

// Real power with PyTorch's rules for negative bases: integer exponents keep the
// sign, fractional exponents of a finite negative base give NaN (of -inf: +inf or +0,
// as IEEE pow), and v^0 is 1 for every v including NaN. WGSL rejects inf and NaN as constants, so they come from bits passed
// through a function parameter, which is never a constant expression.
const POW = `fn f32_from_bits(bits: u32) -> f32 { return bitcast<f32>(bits); }
fn pow_real(v: f32, e: f32) -> f32 {
  if (e == 0.0) { return 1.0; }
  if (v == 0.0) { return select(0.0, f32_from_bits(0x7f800000u), e < 0.0); }
  let r = pow(abs(v), e);
  if (v > 0.0) { return r; }
  if (e != round(e)) { return select(f32_from_bits(0x7fc00000u), r, abs(v) == f32_from_bits(0x7f800000u)); }
  return select(r, -r, (i32(e) & 1) == 1);
}`;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function erf(x: number): number {
  // float64 erf: its Maclaurin series below |x| = 2.5, a continued fraction for erfc above.
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f));
}

function powReal(v: number, e: number): number {
  return Math.pow(v, e);
}

export const UNARY_OPS = {
  neg: { forward: '-v', backward: '-dy', cpu: (v) => -v, cpuGrad: () => -1 },
  exp: { forward: 'exp(v)', backward: 'dy * out', cpu: Math.exp, cpuGrad: Math.exp },
  // d log v = dv / v
  log: { forward: 'log(v)', backward: 'dy / v', cpu: Math.log, cpuGrad: (v) => 1 / v },
  // d sqrt v = dv / (2 sqrt v)
  sqrt: { forward: 'sqrt(v)', backward: 'dy * 0.5 / out', cpu: Math.sqrt, cpuGrad: (v) => 0.5 / Math.sqrt(v) },
  // PyTorch's relu backward zeroes dy only where v <= 0, so dy passes at NaN.
  relu: {
    forward: 'select(max(v, 0.0), v, isNan(v))',
    backward: 'select(0.0, dy, v > 0.0 || isNan(v))',
    helpers: IS_NAN,
    cpu: (v) => Math.max(v, 0),
    cpuGrad: (v) => (v > 0 || Number.isNaN(v) ? 1 : 0),
  },
  // d tanh v = (1 - tanh^2 v) dv
  tanh: {
    forward: 'tanh_safe(v)',
    backward: 'dy * (1.0 - out * out)',
    helpers: TANH,
    cpu: Math.tanh,
    cpuGrad: (v) => 1 - Math.tanh(v) ** 2,
  },
  // d sigmoid v = s (1 - s) dv
  sigmoid: {
    forward: '1.0 / (1.0 + exp(-v))',
    backward: 'dy * out * (1.0 - out)',
    cpu: (v) => 1 / (1 + Math.exp(-v)),
    cpuGrad: (v) => {
      const s = 1 / (1 + Math.exp(-v));
      return s * (1 - s);
    },
  },
  // d|v| = sgn(v) dv, with sgn(NaN) = 0 as in PyTorch.
  abs: {
    forward: 'abs(v)',
    backward: 'select(dy * sign(v), 0.0, isNan(v))',
    helpers: IS_NAN,
    cpu: Math.abs,
    cpuGrad: (v) => (Number.isNaN(v) ? 0 : Math.sign(v)),
  },
  // clamp to [a, b]. The gradient passes where a <= v <= b, as in PyTorch, so not at NaN.
  clamp: {
    forward: 'select(min(max(v, a), b), v, isNan(v))',
    backward: 'select(0.0, dy, v >= a && v <= b && !isNan(v))',
    helpers: IS_NAN,
    cpu: (v, a, b) => Math.min(Math.max(v, a), b),
    cpuGrad: (v, a, b) => (v >= a && v <= b ? 1 : 0),
  },
  // v^a for a scalar a: d v^a = a v^(a-1) dv, and 0 for a = 0 (where 0 * 0^-1 would be NaN at v = 0).
  pow: {
    forward: 'pow_real(v, a)',
    backward: 'select(dy * a * pow_real(v, a - 1.0), 0.0, a == 0.0)',
    helpers: POW,
    cpu: (v, a) => powReal(v, a),
    cpuGrad: (v, a) => (a === 0 ? 0 : a * powReal(v, a - 1)),
  },
  // v * a + b, used for tensor-scalar add, sub and mul.
  affine: { forward: 'v * a + b', backward: 'dy * a', cpu: (v, a, b) => v * a + b, cpuGrad: (_v, a) => a },
  // a / v: d(a/v) = -a / v^2 dv
  reciprocal: { forward: 'a / v', backward: '-dy * out / v', cpu: (v, a) => a / v, cpuGrad: (v, a) => -a / (v * v) },
  // gelu with the tanh approximation: 0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3)))
  geluTanh: {
    forward: '0.5 * v * (1.0 + tanh_safe(0.7978845608 * (v + 0.044715 * v * v * v)))',
    backward: `dy * gelu_tanh_grad(v)`,
    helpers: `${TANH}
fn gelu_tanh_grad(v: f32) -> f32 {
  let u = 0.7978845608 * (v + 0.044715 * v * v * v);
  let t = tanh_safe(u);
  return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * 0.7978845608 * (1.0 + 0.134145 * v * v);
}`,
    cpu: (v) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v ** 3))),
    cpuGrad: (v) => {
      const t = Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v ** 3));
      return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
    },
  },
  // exact gelu: v Phi(v) = 0.5 v (1 + erf(v / sqrt 2)); d/dv = Phi(v) + v phi(v)
  geluErf: {
    forward: '0.5 * v * (1.0 + erf_approx(v * 0.7071067812))',
    backward: 'dy * (0.5 * (1.0 + erf_approx(v * 0.7071067812)) + v * 0.3989422804 * exp(-0.5 * v * v))',
    helpers: ERF,
    cpu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
    cpuGrad: (v) => 0.5 * (1 + erf(v / Math.SQRT2)) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI),
  },
} satisfies Record<string, UnaryOp>;

export type UnaryOpName = keyof typeof UNARY_OPS;

/**
 * Applies a unary op from the table and records its gradient. `op` is the name that
 * errors and the graph show, e.g. 'mul' for the table's 'affine'.
 */
export function applyUnary(name: UnaryOpName, x: Tensor, a = 0, b = 0, op: string = name): Tensor {
  assertFloat(op, x);
  const kernel: UnaryOp = UNARY_OPS[name];
  const out = runUnary(x, kernel, a, b, op);
  return record(out, op, [x], (dy) => [runUnaryBackward(x, out, dy, kernel, a, b, op)]);
}

export const neg = (x: Tensor) => applyUnary('neg', x);
export const exp = (x: Tensor) => applyUnary('exp', x);
export const log = (x: Tensor) => applyUnary('log', x);
export const sqrt = (x: Tensor) => applyUnary('sqrt', x);
export const relu = (x: Tensor) => applyUnary('relu', x);
export const tanh = (x: Tensor) => applyUnary('tanh', x);
export const sigmoid = (x: Tensor) => applyUnary('sigmoid', x);
export const abs = (x: Tensor) => applyUnary('abs', x);
export const pow = (x: Tensor, exponent: number) => applyUnary('pow', x, exponent);

export function clamp(x: Tensor, min: number, max: number): Tensor {
  if (!(min <= max)) throw new Error(`clamp: min ${min} is greater than max ${max}`);
  return applyUnary('clamp', x, min, max);
}

export interface GeluOptions {
  /** 'none' (default, as in PyTorch) uses erf; 'tanh' uses the tanh approximation. */
  approximate?: 'none' | 'tanh';
}

export function gelu(x: Tensor, options: GeluOptions = {}): Tensor {
  const approximate = options.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new Error(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  }
  return applyUnary(approximate === 'tanh' ? 'geluTanh' : 'geluErf', x);
}
