// Test helpers: random inputs, closeness checks, and the gradient check that every
// op test uses.
//
// gradCheck compares the GPU gradient of an op with central finite differences of
// the op's float64 CPU reference. The differences are taken on the float64
// reference (step 1e-6), so they are accurate to about 1e-9 and the tolerance only
// has to cover the f32 rounding of the GPU result.

import { expect } from 'vitest';
import { Tensor, tensor } from '../../src/index.js';
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

/** A GPU tensor holding `values` rounded to f32. */
export function gpuTensor(values: Float64Array | number[], shape: Shape, requiresGrad = false): Tensor {
  return tensor(Float32Array.from(values), { shape, requiresGrad });
}

/** The f32 rounding of values, so the CPU reference sees exactly what the GPU sees. */
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
  /** Finite-difference step on the float64 reference. */
  eps?: number;
  seed?: number;
}

/**
 * Checks the forward output and every input gradient of a GPU op against its
 * float64 reference. `gpu` maps GPU tensors to the output; `reference` maps the
 * same values (rounded to f32) to the output values in float64. The loss is
 * sum(out * w) for a random cotangent w, so every output element matters.
 */
export async function gradCheck(
  name: string,
  gpu: (inputs: Tensor[]) => Tensor,
  reference: (inputs: Float64Array[]) => Float64Array,
  inputs: GradCheckInput[],
  options: GradCheckOptions = {},
): Promise<void> {
  const tol = { rtol: options.rtol ?? 1e-4, atol: options.atol ?? 1e-5 };
  const eps = options.eps ?? 1e-6;
  const rng = new Rng(options.seed ?? 12345);
  const values = inputs.map((input) => roundF32(input.values));

  const tensors = inputs.map((input, i) => gpuTensor(values[i], input.shape, !input.noGrad));
  const out = gpu(tensors);
  const expectedOut = reference(values);
  expectAllClose(await out.data(), expectedOut, tol, `${name} forward`);

  const weights = roundF32(randomValues(out.shape as Shape, rng, -1, 1));
  const loss = out.mul(gpuTensor(weights, out.shape as Shape)).sum();
  loss.backward();

  const objective = (vals: Float64Array[]) => {
    const y = reference(vals);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * weights[i];
    return s;
  };

  for (let k = 0; k < inputs.length; k++) {
    if (inputs[k].noGrad) continue;
    const numeric = new Float64Array(values[k].length);
    for (let i = 0; i < numeric.length; i++) {
      const plus = values.map((v) => v.slice());
      const minus = values.map((v) => v.slice());
      plus[k][i] += eps;
      minus[k][i] -= eps;
      numeric[i] = (objective(plus) - objective(minus)) / (2 * eps);
    }
    const grad = tensors[k].grad;
    expect(grad, `${name}: input ${k} got no gradient`).not.toBeNull();
    expectAllClose(await grad!.data(), numeric, tol, `${name} gradient of input ${k}`);
  }
  for (const t of tensors) {
    t.grad?.dispose();
    t.dispose();
  }
}
