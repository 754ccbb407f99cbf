// A short, seeded TD run shared by the reproducibility and resume tests. Tiny staged
// models train on a fixed classification set of 23 examples with dropout and noise on.
// An EpochSampler draws batches of 5, so each epoch ends on a short batch.

import { EpochSampler } from '../../src/data/batching.js';
import { tensor } from '../../src/ops/create.js';
import type { DistillConfig } from '../../src/td/config.js';
import { createDistiller, type DistillBatch, type Distiller } from '../../src/td/distiller.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { adam, TEACHER_SIZES, tinyPair } from '../td/fixtures.js';

export const CLASSES = 3;
const EXAMPLES = 23;
const BATCH = 5;

export const RUN_CONFIG: Partial<DistillConfig> = {
  method: 'td',
  rounds: 1,
  messageDim: 5,
  hiddenDim: 8,
  dropout: 0.3,
  noiseStd: 0.1,
  seed: 1234,
};

export interface Dataset {
  x: Float32Array;
  y: Int32Array;
}

/** The fixed data set: normal inputs and labels from one seed. */
export function makeDataset(): Dataset {
  const rng = new Rng(99);
  const x = Float32Array.from({ length: EXAMPLES * TEACHER_SIZES.input }, () => rng.normal());
  const y = Int32Array.from({ length: EXAMPLES }, () => rng.int(CLASSES));
  return { x, y };
}

export function makeSampler(): EpochSampler {
  return new EpochSampler({ size: EXAMPLES, batchSize: BATCH, seed: 5 });
}

export function batchOf(data: Dataset, indices: Int32Array): DistillBatch<Tensor> {
  const width = TEACHER_SIZES.input;
  const x = new Float32Array(indices.length * width);
  indices.forEach((row, i) => x.set(data.x.subarray(row * width, (row + 1) * width), i * width));
  const y = Int32Array.from(indices, (row) => data.y[row]);
  return { x: tensor(x, { shape: [indices.length, width] }), y: tensor(y) };
}

export function buildDistiller(config: Partial<DistillConfig> = RUN_CONFIG): Distiller<Tensor> {
  const { teacher, student } = tinyPair(CLASSES);
  return createDistiller({ teacher, student, task: 'classification', optimizer: adam, config });
}

/** Hex of a float32's bits, so equal strings mean bit-identical values. */
export function f32Hex(value: number): string {
  return new Uint32Array(Float32Array.of(value).buffer)[0].toString(16).padStart(8, '0');
}

/** Hex of a float64's bits. */
export function f64Hex(value: number): string {
  return new BigUint64Array(Float64Array.of(value).buffer)[0].toString(16).padStart(16, '0');
}

/** Runs `steps` steps and returns the bits of each step's total loss. */
export async function trainSteps(distiller: Distiller<Tensor>, sampler: EpochSampler, data: Dataset, steps: number): Promise<string[]> {
  const losses: string[] = [];
  for (let i = 0; i < steps; i++) {
    const batch = batchOf(data, sampler.nextBatch());
    const result = await distiller.step(batch);
    losses.push(f32Hex(await result.losses.total.item()));
    batch.x.dispose();
    batch.y.dispose();
  }
  return losses;
}

/** Bits of every value of every tensor in the distiller's state dict (weights and optimizer state), by key. */
export async function stateBits(distiller: Distiller<Tensor>): Promise<Record<string, string>> {
  const state = distiller.stateDict();
  const out: Record<string, string> = {};
  const entries = [...Object.entries(state.modules), ...Object.entries(state.optimizer.tensors).map(([k, v]) => [`optimizer.${k}`, v] as const)];
  for (const [key, value] of entries) {
    const data = 'isTensor' in value ? await value.data() : value.data;
    out[key] = Array.from(data, f32Hex).join('');
  }
  return out;
}

export interface RunRecord {
  losses: string[];
  /** Bits of each evaluation metric on the whole set after training. */
  metrics: Record<string, string>;
}

/** The whole short run: 9 steps (about two epochs), then evaluation, all as bits. */
export async function shortRun(): Promise<RunRecord> {
  const data = makeDataset();
  const distiller = buildDistiller();
  const losses = await trainSteps(distiller, makeSampler(), data, 9);
  const all = batchOf(data, Int32Array.from({ length: EXAMPLES }, (_, i) => i));
  const metrics = await distiller.evaluate([all]);
  all.x.dispose();
  all.y.dispose();
  distiller.dispose();
  return { losses, metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, f64Hex(v)])) };
}
