// Inputs of a method's loss function during one training step: the models, the
// communication modules, the config, the student's forward pass and lazy access to
// the teacher's outputs. Every method fills the same LossParts record, so the
// training loop is shared and only the loss differs.

import type { Module } from '../nn/module.js';
import type { StagedModel } from '../models/staged.js';
import type { Tensor } from '../tensor/tensor.js';
import type { CommunicationModules } from './communication-modules.js';
import { reductionOf, type DistanceLossName, type DistillConfig } from './config.js';
import { distance } from './distance.js';
import type { HiddenState, StateLayout } from './state.js';
import type { Task } from './task.js';
import type { TeacherOutputs } from './teacher-cache.js';

/** A teacher or student: a staged model that is also a Module (parameters, train/eval). */
export type DistillModel<Input> = StagedModel<Input> & Module;

/**
 * The loss of one step. `total` is what backward runs on; the other parts are the
 * unweighted terms (absent when not computed). `interact` is summed over the rounds.
 */
export interface LossParts {
  total: Tensor;
  task?: Tensor;
  interact?: Tensor;
  stateConsistency?: Tensor;
  messageConsistency?: Tensor;
  logit?: Tensor;
  feature?: Tensor;
  fitnet?: Tensor;
}

export type LossPartName = keyof LossParts;

export const LOSS_PART_NAMES: readonly LossPartName[] = [
  'total', 'task', 'interact', 'stateConsistency', 'messageConsistency', 'logit', 'feature', 'fitnet',
];

/** The student's forward pass on x: s_g, e_g and its prediction y_g. */
export interface StudentForward extends HiddenState {
  y: Tensor;
}

export interface LossContext<Input> {
  config: DistillConfig;
  task: Task;
  teacher: DistillModel<Input>;
  student: DistillModel<Input>;
  modules: CommunicationModules;
  studentLayout: StateLayout;
  teacherLayout: StateLayout;
  /** Training steps taken before this one. */
  step: number;
  /** Steps taken since the joint stage (after any ramp-up) started. */
  jointStep: number;
  /** The teacher's s_h, e_h (and y_h when `withPrediction`) on this batch, computed on first use. */
  teacherOutputs(withPrediction: boolean): TeacherOutputs;
  /** Gaussian noise of std config.noiseStd and the given shape. */
  noise(shape: readonly number[]): Tensor;
}

/** d(a, b) with the config's distance and the reduction of loss `name`. */
export function lossDistance(config: DistillConfig, a: Tensor, b: Tensor, name: DistanceLossName): Tensor {
  return distance(a, b, { kind: config.distance, reduction: reductionOf(config, name), smoothL1Beta: config.smoothL1Beta }, name);
}

/** Adds weight * part to a running total (the part is skipped when the weight is 0). */
export function addWeighted(total: Tensor, part: Tensor | undefined, weight: number): Tensor {
  if (part === undefined || weight === 0) return total;
  return total.add(weight === 1 ? part : part.mul(weight));
}

/** Returns a module or throws a message naming the method that needs it (a bug if it fires). */
export function required<T>(module: T | null, name: string, method: string): T {
  if (module === null) throw new Error(`${method}: the ${name} communication module was not created for this method`);
  return module;
}
