// Gradient check for modules: the forward output, the gradient of every input and the
// gradient of every parameter against central differences of a float64 reference that
// reads the same parameter values (rounded to f32, as the GPU reads them).

import { expect } from 'vitest';
import type { Module } from '../../src/nn/module.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gpuTensor, randomValues, roundF32, type GradCheckInput, type Tolerance } from '../helpers/check.js';

export type ParamValues = Record<string, Float64Array>;

export async function readParams(module: Module): Promise<ParamValues> {
  const out: ParamValues = {};
  for (const [name, t] of module.namedParameters()) out[name] = Float64Array.from(await t.data());
  return out;
}

/**
 * Checks `module` through `forward` (GPU tensors -> output) against `reference`
 * (float64 inputs and parameters -> output). The loss is sum(out * w) for a random w.
 */
export async function moduleGradCheck(
  name: string,
  module: Module,
  forward: (inputs: Tensor[]) => Tensor,
  reference: (inputs: Float64Array[], params: ParamValues) => Float64Array,
  inputs: GradCheckInput[],
  tol: Tolerance,
  eps = 1e-6,
): Promise<void> {
  const rng = new Rng(777);
  const values = inputs.map((input) => roundF32(input.values));
  const params = await readParams(module);
  module.zeroGrad();

  const tensors = inputs.map((input, i) => gpuTensor(values[i], input.shape, !input.noGrad));
  const out = forward(tensors);
  expectAllClose(await out.data(), reference(values, params), tol, `${name} forward`);

  const weights = roundF32(randomValues([...out.shape], rng, -1, 1));
  out.mul(gpuTensor(weights, [...out.shape])).sum().backward();
  const objective = (vals: Float64Array[], ps: ParamValues) => {
    const y = reference(vals, ps);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * weights[i];
    return s;
  };
  const difference = (perturb: (sign: number, i: number) => number, length: number) => {
    const numeric = new Float64Array(length);
    for (let i = 0; i < length; i++) numeric[i] = (perturb(1, i) - perturb(-1, i)) / (2 * eps);
    return numeric;
  };

  for (let k = 0; k < inputs.length; k++) {
    if (inputs[k].noGrad) continue;
    const numeric = difference((sign, i) => {
      const shifted = values.map((v) => v.slice());
      shifted[k][i] += sign * eps;
      return objective(shifted, params);
    }, values[k].length);
    expect(tensors[k].grad, `${name}: input ${k} got no gradient`).not.toBeNull();
    expectAllClose(await tensors[k].grad!.data(), numeric, tol, `${name} gradient of input ${k}`);
  }

  for (const [key, t] of module.namedParameters()) {
    if (!t.requiresGrad) continue;
    const numeric = difference((sign, i) => {
      const shifted = { ...params, [key]: params[key].slice() };
      shifted[key][i] += sign * eps;
      return objective(values, shifted);
    }, params[key].length);
    expect(t.grad, `${name}: parameter ${key} got no gradient`).not.toBeNull();
    expectAllClose(await t.grad!.data(), numeric, tol, `${name} gradient of ${key}`);
  }
  module.zeroGrad();
  for (const t of tensors) t.dispose();
}
