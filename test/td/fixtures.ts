// Tiny staged models built from raw ops, and helpers shared by the distillation tests.

import { Module } from '../../src/nn/module.js';
import { Adam } from '../../src/optim/adam.js';
import { matmul } from '../../src/ops/matmul.js';
import { randn, tensor } from '../../src/ops/create.js';
import type { StagedModel } from '../../src/models/staged.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import type { DistillBatch } from '../../src/td/distiller.js';

export interface TinySizes {
  input: number;
  s: number;
  e: number;
  /** Head outputs; 0 gives one value per example, shape [B]. */
  out: number;
}

/**
 * lower: s = relu(x W1 + b1), upper: e = tanh(s W2 + b2), head: y = e W3 + b3.
 * tanh keeps the upper stage smooth for finite differences. Counts its stage calls.
 */
export class TinyModel extends Module implements StagedModel<Tensor> {
  readonly stateDims: { s: number; e: number };
  readonly calls = { lower: 0, upper: 0, head: 0 };

  constructor(readonly sizes: TinySizes, rng: Rng) {
    super();
    this.stateDims = { s: sizes.s, e: sizes.e };
    const outWidth = Math.max(sizes.out, 1);
    const init = (name: string, shape: number[], std: number) => this.registerParameter(name, randn(shape, { rng, std }));
    init('w1', [sizes.input, sizes.s], 0.6);
    init('b1', [sizes.s], 0.3);
    init('w2', [sizes.s, sizes.e], 0.6);
    init('b2', [sizes.e], 0.3);
    init('w3', [sizes.e, outWidth], 0.6);
    init('b3', [outWidth], 0.3);
  }

  param(name: string): Tensor {
    return this.stateDict()[name];
  }

  lower(x: Tensor): Tensor {
    this.calls.lower++;
    return matmul(x, this.param('w1')).add(this.param('b1')).relu();
  }

  upper(s: Tensor): Tensor {
    this.calls.upper++;
    return matmul(s, this.param('w2')).add(this.param('b2')).tanh();
  }

  head(e: Tensor): Tensor {
    this.calls.head++;
    const y = matmul(e, this.param('w3')).add(this.param('b3'));
    return this.sizes.out === 0 ? y.reshape([y.shape[0]]) : y;
  }
}

export const TEACHER_SIZES: TinySizes = { input: 7, s: 6, e: 5, out: 0 };
export const STUDENT_SIZES: TinySizes = { input: 7, s: 3, e: 4, out: 0 };

/** Teacher and student with fixed seeds. */
export function tinyPair(out = 0, teacherOut = out): { teacher: TinyModel; student: TinyModel } {
  return {
    teacher: new TinyModel({ ...TEACHER_SIZES, out: teacherOut }, new Rng(101)),
    student: new TinyModel({ ...STUDENT_SIZES, out }, new Rng(202)),
  };
}

/** Makes a regression batch (float targets) or, with classes > 0, a classification batch (int32 targets). */
export function tinyBatch(batch: number, seed: number, classes = 0, index?: number[]): DistillBatch<Tensor> {
  const rng = new Rng(seed);
  const x = randn([batch, TEACHER_SIZES.input], { rng });
  const y =
    classes > 0
      ? tensor(Int32Array.from({ length: batch }, () => rng.int(classes)))
      : tensor(Float32Array.from({ length: batch }, () => 1 + 3 * rng.uniform()));
  return { x, y, ...(index === undefined ? {} : { index }) };
}

export const adam = (params: Tensor[]) => new Adam(params, { lr: 1e-2 });

/** Replaces every parameter of `module` by normal values, so no weight is a special constant (e.g. LayerNorm's ones). */
export function randomizeModule(module: Module, rng: Rng, std = 0.5): void {
  const values: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
  for (const [name, t] of module.namedParameters()) {
    values[name] = { shape: t.shape, data: Float32Array.from({ length: t.size }, () => std * rng.normal() + (name.endsWith('norm.weight') ? 1 : 0)) };
  }
  module.loadStateDict(values, { strict: false });
}

/** Reads every parameter of `module` as float64 values by name. */
export async function readParameters(module: Module): Promise<Record<string, Float64Array>> {
  const out: Record<string, Float64Array> = {};
  for (const [name, t] of module.namedParameters()) out[name] = Float64Array.from(await t.data());
  return out;
}

/** Copies of every parameter's raw float32 values, for bit-exact comparisons. */
export async function snapshot(module: Module): Promise<Float32Array[]> {
  return Promise.all(module.parameters().map((t) => t.data()));
}
