// Test helpers: random inputs, closeness checks, and the gradient check that every
// op test uses.
//
// gradCheck compares the GPU gradient of an op with central finite differences of
// the op's float64 CPU reference. The differences are taken on the float64
// reference (step 1e-6), so they are accurate to about 1e-9 and the tolerance only
// has to cover the f32 rounding of the GPU result.

import { expect } from 'vitest';
import { Tensor, tensor, tidy } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';

export type Shape = number[];

export function sizeOf(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Uniform random values in [low, high), never all equal. */
export function randomValues(shape: Shape, rng: Rng, low = -2, high = 2): Float64Array {
  const out = new Float64Array(sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * rng.uniform();
  return out;
}

/** Returns a GPU tensor with `values` rounded to f32. */
export function gpuTensor(values: Float64Array | number[], shape: Shape, requiresGrad = false): Tensor {
  return tensor(Float32Array.from(values), { shape, requiresGrad });
}

/** Rounds values to f32, so the CPU reference gets exactly the inputs the GPU gets. */
export function roundF32(values: Float64Array): Float64Array {
  return Float64Array.from(Float32Array.from(values));
}

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** Asserts |actual - expected| <= atol + rtol |expected| elementwise, and reports the worst element. */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue;
    const excess = Math.abs(a - e) - (tol.atol + tol.rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  const message =
    worst < 0
      ? what
      : `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${tol.rtol}, atol ${tol.atol})`;
  expect(worst, message).toBe(-1);
}

export async function expectTensorClose(t: Tensor, expected: ArrayLike<number>, tol: Tolerance, what: string): Promise<void> {
  expectAllClose(await t.data(), expected, tol, what);
}

export interface GradCheckInput {
  shape: Shape;
  values: Float64Array;
  /** Leave out of the check (e.g. an int32 index input passed through `extra`). */
  noGrad?: boolean;
}

export interface GradCheckOptions extends Partial<Tolerance> {
  /** Tolerance of the gradients when it differs from the forward tolerance. */
  grad?: Tolerance;
  /** Finite-difference step on the float64 reference. */
  eps?: number;
  seed?: number;
}

/** A reference result: flat values, or values with the shape the GPU output must have. */
export type ReferenceOutput = Float64Array | { shape: readonly number[]; data: Float64Array };

function referenceData(result: ReferenceOutput): Float64Array {
  return result instanceof Float64Array ? result : result.data;
}

/**
 * Checks the forward output and every input gradient of a GPU op against its
 * float64 reference. `gpu` maps GPU tensors to the output. `reference` maps the
 * same values (rounded to f32) to the output values in float64, and when it
 * returns an NdArray the output shape is checked too. The loss is sum(out * w) for a random
 * cotangent w, so every output element matters. Forward and backward run inside
 * `tidy`, and everything the check creates is disposed at the end.
 */
export async function gradCheck(
  name: string,
  gpu: (inputs: Tensor[]) => Tensor,
  reference: (inputs: Float64Array[]) => ReferenceOutput,
  inputs: GradCheckInput[],
  options: GradCheckOptions = {},
): Promise<void> {
  const tol = { rtol: options.rtol ?? 1e-4, atol: options.atol ?? 1e-5 };
  const gradTol = options.grad ?? tol;
  const eps = options.eps ?? 1e-6;
  const rng = new Rng(options.seed ?? 12345);
  const values = inputs.map((input) => roundF32(input.values));
  const expected = reference(values);

  const tensors = inputs.map((input, i) => gpuTensor(values[i], input.shape, !input.noGrad));
  let weights: Float64Array = new Float64Array(0);
  const out = tidy(() => {
    const y = gpu(tensors);
    weights = roundF32(randomValues([...y.shape], rng, -1, 1));
    y.mul(gpuTensor(weights, [...y.shape])).sum().backward();
    return y;
  });
  if (!(expected instanceof Float64Array)) {
    expect([...out.shape], `${name} output shape`).toEqual([...expected.shape]);
  }
  expectAllClose(await out.data(), referenceData(expected), tol, `${name} forward`);

  const objective = () => {
    const y = referenceData(reference(values));
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * weights[i];
    return s;
  };

  for (let k = 0; k < inputs.length; k++) {
    if (inputs[k].noGrad) continue;
    const x = values[k];
    const numeric = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const saved = x[i];
      x[i] = saved + eps;
      const plus = objective();
      x[i] = saved - eps;
      const minus = objective();
      x[i] = saved;
      numeric[i] = (plus - minus) / (2 * eps);
    }
    const grad = tensors[k].grad;
    expect(grad, `${name}: input ${k} got no gradient`).not.toBeNull();
    expect([...grad!.shape], `${name}: shape of the gradient of input ${k}`).toEqual([...inputs[k].shape]);
    expectAllClose(await grad!.data(), numeric, gradTol, `${name} gradient of input ${k}`);
  }
  out.dispose();
  for (const t of tensors) {
    t.zeroGrad();
    t.dispose();
  }
}

/**
 * Moves values that lie within `margin` of a kink (a point where the op is not
 * differentiable, such as 0 for relu) to distance `margin` on the same side, so
 * that central differences never straddle the kink.
 */
export function avoidKinks(values: Float64Array, kinks: number[], margin = 1e-3): Float64Array {
  return values.map((v) => {
    for (const k of kinks) if (Math.abs(v - k) < margin) return v < k ? k - margin : k + margin;
    return v;
  });
}
