// Tensor creation: from JavaScript data, constants, ranges and seeded random values.

import { Rng } from '../util/rng.js';
import { setKnownValues } from '../tensor/known-range.js';
import { formatShape, sizeOf } from '../tensor/shape.js';
import type { DType, Tensor } from '../tensor/tensor.js';
import { filled, upload } from './kernels.js';

export interface TensorOptions {
  shape?: number[];
  dtype?: DType;
  requiresGrad?: boolean;
  /** Accept NaN and Infinity (rejected by default, because they are almost always a bug). */
  allowNonFinite?: boolean;
}

type Nested = number | Nested[];

let globalRng = new Rng(0);

/** Seeds the generator used by rand and randn when no `rng` is passed. */
export function manualSeed(seed: number): void {
  globalRng = new Rng(seed);
}

export function defaultRng(): Rng {
  return globalRng;
}

/** Creates a tensor from nested arrays, a flat array or a typed array (then `shape` defaults to 1D). */
export function tensor(data: Nested | Float32Array | Int32Array | number[], options: TensorOptions = {}): Tensor {
  const dtype = options.dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
  let values: number[] | Float32Array | Int32Array;
  let inferred: number[];
  if (data instanceof Float32Array || data instanceof Int32Array) {
    values = data;
    inferred = [data.length];
  } else {
    inferred = nestedShape(data);
    values = typeof data === 'number' ? [data] : (data as Nested[]).flat(Infinity as 1) as number[];
  }
  if (options.shape !== undefined) checkShape('tensor', options.shape);
  const shape = options.shape ?? inferred;
  if (sizeOf(shape) !== values.length) {
    throw new Error(`tensor: shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${values.length}`);
  }
  checkValues(values, dtype, options.allowNonFinite ?? false);

  const typed = dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values);
  const out = upload(typed, shape, dtype, 'tensor');
  if (dtype === 'int32') setKnownValues(out, typed as Int32Array);
  if (options.requiresGrad) out.requiresGrad_(true);
  return out;
}

function nestedShape(data: Nested): number[] {
  if (typeof data === 'number') return [];
  if (!Array.isArray(data)) throw new Error(`tensor: expected numbers or nested arrays, got ${typeof data}`);
  if (data.length === 0) return [0];
  const inner = nestedShape(data[0]);
  for (let i = 1; i < data.length; i++) {
    const other = nestedShape(data[i]);
    if (other.length !== inner.length || other.some((d, k) => d !== inner[k])) {
      throw new Error(`tensor: nested arrays are ragged (item 0 has shape ${formatShape(inner)}, item ${i} has ${formatShape(other)})`);
    }
  }
  return [data.length, ...inner];
}

function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
}

function checkValues(values: ArrayLike<number>, dtype: DType, allowNonFinite: boolean): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') throw new Error(`tensor: value at flat index ${i} is ${typeof v}, not a number`);
    if (dtype === 'int32') {
      if (!isInt32(v)) {
        throw new Error(`tensor: value ${v} at flat index ${i} is not an int32`);
      }
    } else if (!allowNonFinite && !Number.isFinite(v)) {
      throw new Error(`tensor: value ${v} at flat index ${i} is not finite; pass { allowNonFinite: true } if this is intended`);
    }
  }
}

function checkShape(op: string, shape: number[]): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${op}: invalid shape ${JSON.stringify(shape)} (dims must be integers >= 0)`);
  }
}

export function full(shape: number[], value: number, options: { dtype?: DType; requiresGrad?: boolean } = {}): Tensor {
  checkShape('full', shape);
  const dtype = options.dtype ?? 'float32';
  if (dtype === 'int32' && !isInt32(value)) throw new Error(`full: value ${value} is not an int32`);
  const out = filled(shape, value, dtype, 'full');
  if (options.requiresGrad) out.requiresGrad_(true);
  return out;
}

export const zeros = (shape: number[], options: { dtype?: DType; requiresGrad?: boolean } = {}) => full(shape, 0, options);
export const ones = (shape: number[], options: { dtype?: DType; requiresGrad?: boolean } = {}) => full(shape, 1, options);

/** Values start, start + step, ... below end, as in Python's range. */
export function arange(start: number, end?: number, step = 1, options: { dtype?: DType } = {}): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new Error('arange: step must not be 0');
  if (![from, to, step].every(Number.isFinite)) throw new Error(`arange: start ${from}, end ${to} and step ${step} must be finite`);
  const n = Math.max(0, Math.ceil((to - from) / step));
  const dtype = options.dtype ?? 'float32';
  const values = dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  // Checked because the typed array would silently truncate a fractional or out-of-range value.
  if (dtype === 'int32' && n > 0 && ![from, step, from + (n - 1) * step].every(isInt32)) {
    throw new Error(`arange: int32 values need an integer start and step within the int32 range, got start ${from} and step ${step}`);
  }
  for (let i = 0; i < n; i++) values[i] = from + i * step;
  return upload(values, [n], dtype, 'arange');
}

export interface RandomOptions {
  requiresGrad?: boolean;
  /** Generator to draw from; defaults to the global one seeded by manualSeed. */
  rng?: Rng;
}

/** Uniform values in [low, high) drawn on the CPU from a seeded generator. */
export function rand(shape: number[], options: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  checkShape('rand', shape);
  const rng = options.rng ?? globalRng;
  const low = options.low ?? 0;
  const high = options.high ?? 1;
  const values = new Float32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = low + (high - low) * rng.uniform();
  const out = upload(values, shape, 'float32', 'rand');
  if (options.requiresGrad) out.requiresGrad_(true);
  return out;
}

/** Normal values with the given mean and std, drawn on the CPU from a seeded generator. */
export function randn(shape: number[], options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  checkShape('randn', shape);
  const rng = options.rng ?? globalRng;
  const mean = options.mean ?? 0;
  const std = options.std ?? 1;
  const values = new Float32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = mean + std * rng.normal();
  const out = upload(values, shape, 'float32', 'randn');
  if (options.requiresGrad) out.requiresGrad_(true);
  return out;
}
