// The interface between a sweep and its data: an experiment contains the frozen teacher
// and the downstream tasks, and each task hands out the batches of one seed's split.
// The image and MovieLens experiments implement it (image-experiment-node.ts and
// movielens-experiment-node.ts), so the cell runner does not know which one runs.

import type { DistillBatch } from '../td/distiller.js';
import type { DistillModel } from '../td/loss-context.js';
import type { Tensor } from '../tensor/tensor.js';

/** A batch for evaluation: inputs and targets (float32 values or int32 class ids). */
export interface EvalBatch<Input> {
  x: Input;
  y: Tensor;
}

/** The training and validation data of one seed. */
export interface SeedData<Input> {
  trainSize: number;
  /** Uploads the training examples at `indices` (positions in the training split); `index` is set for the teacher cache. */
  trainBatch(indices: Int32Array): DistillBatch<Input>;
  /** The whole training split in evaluation-size batches, for the linear probe of LD. */
  trainBatches(): EvalBatch<Input>[];
  validation: EvalBatch<Input>[];
  dispose(): void;
}

export interface DownstreamTask<Input> {
  name: string;
  kind: 'classification' | 'regression';
  /** 'accuracy' or 'rmse': the task metric reported in the tables. */
  metricName: string;
  higherIsBetter: boolean;
  /** Classes of a classification task; 1 for regression. */
  numClasses: number;
  /** Held-out evaluation batches; the same for every seed. */
  evaluation: EvalBatch<Input>[];
  /** Splits and uploads the training and validation data of a seed. */
  data(seed: number): SeedData<Input>;
  /** A fresh student for a seed. */
  createStudent(seed: number): DistillModel<Input>;
  /** Whether the teacher's own head predicts this task's targets (otherwise LD fits a linear probe). */
  teacherHeadFits: boolean;
  /** The teacher's metric on the evaluation split where its head fits the task, else null. */
  teacherMetric: number | null;
  /** Frees the tensors of one input x. */
  disposeInput(x: Input): void;
  /** Class of each example of a batch for the per-class CKA report. */
  ckaLabels(batch: EvalBatch<Input>): Promise<ArrayLike<number>>;
  /** Sizes and sources for result files. */
  description: Record<string, unknown>;
  dispose(): void;
}

export interface Experiment<Input> {
  teacher: DistillModel<Input>;
  /** Source and training facts of the teacher, for logs and result files. */
  teacherDescription: Record<string, unknown>;
  tasks: DownstreamTask<Input>[];
  /** Linear probe settings for LD where the teacher head does not fit. */
  probe: { epochs: number; lr: number; tokenPooling: 'first' | 'mean' };
  dispose(): void;
}

/** Splits `indices` into batches of at most `size` and builds each with `make`. */
export function batchesOf<T>(indices: ArrayLike<number>, size: number, make: (part: Int32Array) => T): T[] {
  const all = Int32Array.from(indices);
  const out: T[] = [];
  for (let start = 0; start < all.length; start += size) out.push(make(all.subarray(start, start + size)));
  return out;
}

/** Frees the tensors of evaluation batches. */
export function disposeBatches<Input>(batches: EvalBatch<Input>[], disposeInput: (x: Input) => void): void {
  for (const batch of batches) {
    disposeInput(batch.x);
    batch.y.dispose();
  }
}
