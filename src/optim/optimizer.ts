// The base of SGD, Adam and AdamW: the parameter list, per-parameter state tensors,
// step counts, and a state dict that lets training resume bit-exactly.

import { zeros } from '../ops/create.js';
import { copyInto } from '../nn/module.js';
import { keep } from '../tensor/scope.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/** Hyperparameters as saved in a state dict. */
export type OptimizerOptions = Record<string, number | boolean>;

export interface OptimizerState {
  /** Optimizer class name, checked on load. */
  kind: string;
  /** Hyperparameters at save time, lr included. */
  options: OptimizerOptions;
  /** Updates applied to each parameter so far (a parameter without a gradient is not updated). */
  steps: number[];
  /** Per-parameter tensors keyed "<parameter index>.<name>", e.g. "3.exp_avg" (PyTorch's names). */
  tensors: Record<string, Tensor | { shape: readonly number[]; data: Float32Array }>;
}

export abstract class Optimizer {
  /** Class name stored in the state dict (kept explicitly because bundlers rename classes). */
  readonly kind: string;
  readonly params: readonly Tensor[];
  /** Learning rate of the next step. A schedule sets it before each step. */
  lr: number;
  protected readonly steps: number[];
  /** State tensors per parameter index and name, created at a parameter's first update. */
  protected readonly slots: Map<string, Tensor>[];

  constructor(params: Iterable<Tensor>, lr: number, kind: string) {
    this.kind = kind;
    this.params = [...params];
    if (this.params.length === 0) throw new Error(`${kind}: got an empty parameter list`);
    const bad = this.params.findIndex((p) => p.dtype !== 'float32' || p.gradFn !== null);
    if (bad >= 0) {
      throw new Error(`${kind}: parameter ${bad} ${formatShape(this.params[bad].shape)} is not a float32 leaf tensor`);
    }
    if (new Set(this.params).size !== this.params.length) throw new Error(`${kind}: a parameter appears twice in the list`);
    checkNonNegative(kind, 'lr', lr);
    this.lr = lr;
    this.steps = this.params.map(() => 0);
    this.slots = this.params.map(() => new Map());
  }

  /** Applies one update to every parameter that has a gradient, then submits the recorded work. */
  abstract step(): void;

  /** Hyperparameters other than lr, as saved in the state dict. */
  protected abstract hyperparameters(): OptimizerOptions;

  protected abstract setHyperparameters(options: OptimizerOptions): void;

  /** Updates applied so far (to the parameter updated most often). */
  get stepCount(): number {
    return Math.max(...this.steps);
  }

  /** Clears the gradients of all parameters. */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** Returns a zero-filled state tensor, created once per parameter and name, that survives tidy. */
  protected slot(index: number, name: string): Tensor {
    let t = this.slots[index].get(name);
    if (t === undefined) {
      t = keep(zeros([...this.params[index].shape]));
      this.slots[index].set(name, t);
    }
    return t;
  }

  /** Returns the state. Its tensors are the optimizer's own, not copies. */
  stateDict(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    this.slots.forEach((slots, i) => {
      for (const [name, t] of slots) tensors[`${i}.${name}`] = t;
    });
    return {
      kind: this.kind,
      options: { lr: this.lr, ...this.hyperparameters() },
      steps: [...this.steps],
      tensors,
    };
  }

  /** Restores a state saved by stateDict() of the same optimizer class over the same parameter shapes. */
  loadStateDict(state: OptimizerState): void {
    const kind = this.kind;
    if (state.kind !== kind) throw new Error(`${kind}.loadStateDict: the state was saved by ${state.kind}`);
    if (state.steps.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new Error(`${kind}.loadStateDict: steps ${JSON.stringify(state.steps)} must be integers >= 0`);
    }
    if (state.steps.length !== this.params.length) {
      throw new Error(`${kind}.loadStateDict: the state covers ${state.steps.length} parameters, this optimizer has ${this.params.length}`);
    }
    const entries = Object.entries(state.tensors).map(([key, value]) => {
      const match = /^(\d+)\.(\w+)$/.exec(key);
      const index = match === null ? -1 : Number(match[1]);
      if (match === null || index >= this.params.length) {
        throw new Error(`${kind}.loadStateDict: key '${key}' does not name a parameter index below ${this.params.length}`);
      }
      if (!sameShape(value.shape, this.params[index].shape)) {
        throw new Error(
          `${kind}.loadStateDict: '${key}' has shape ${formatShape(value.shape)} but parameter ${index} has ${formatShape(this.params[index].shape)}`,
        );
      }
      return { index, name: match[2], value };
    });

    const { lr, ...rest } = state.options;
    if (typeof lr !== 'number') throw new Error(`${kind}.loadStateDict: options.lr is missing`);
    this.setHyperparameters(rest);
    this.lr = lr;
    state.steps.forEach((s, i) => (this.steps[i] = s));
    this.disposeSlots();
    for (const { index, name, value } of entries) copyInto(this.slot(index, name), value);
  }

  /** Frees the state tensors but not the parameters. */
  dispose(): void {
    this.disposeSlots();
  }

  private disposeSlots(): void {
    for (const slots of this.slots) {
      for (const t of slots.values()) t.dispose();
      slots.clear();
    }
  }
}

export function checkNonNegative(kind: string, name: string, value: number): void {
  if (!(value >= 0) || !Number.isFinite(value)) throw new Error(`${kind}: ${name} must be a finite number >= 0, got ${value}`);
}

/** Reads a saved hyperparameter, rejecting a missing one or one of another type. */
export function savedOption<T extends 'number' | 'boolean'>(
  kind: string,
  options: OptimizerOptions,
  name: string,
  type: T,
): T extends 'number' ? number : boolean {
  const value = options[name];
  if (typeof value !== type) {
    throw new Error(`${kind}.loadStateDict: option ${name} is ${JSON.stringify(value)}, expected a ${type}`);
  }
  return value as T extends 'number' ? number : boolean;
}
