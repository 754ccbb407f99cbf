// Adam (Kingma and Ba, 2015) and AdamW (Loshchilov and Hutter, 2019) with PyTorch's
// update rules and bias correction, in one fused kernel per parameter. Adam adds
// weightDecay * param to the gradient, while AdamW multiplies param by 1 - lr * weightDecay.

import { noGrad } from '../autograd/grad-mode.js';
import { flush } from '../gpu/runtime.js';
import { adamUpdate } from '../ops/optimizer-update.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkNonNegative, Optimizer, savedOption, type OptimizerOptions } from './optimizer.js';

export interface AdamOptions {
  /** Default 1e-3. */
  lr?: number;
  /** (beta1, beta2). Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Default 0 for Adam, 1e-2 for AdamW (PyTorch's defaults). */
  weightDecay?: number;
}

/** The shared implementation of Adam and AdamW. */
export abstract class AdamBase extends Optimizer {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  readonly decoupled: boolean;

  protected constructor(params: Iterable<Tensor>, options: AdamOptions, decoupled: boolean) {
    super(params, options.lr ?? 1e-3, decoupled ? 'AdamW' : 'Adam');
    this.decoupled = decoupled;
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? (this.decoupled ? 1e-2 : 0);
    this.checkOptions();
  }

  private checkOptions(): void {
    const kind = this.kind;
    for (const [name, beta] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(beta >= 0 && beta < 1)) throw new Error(`${kind}: ${name} must be in [0, 1), got ${beta}`);
    }
    checkNonNegative(kind, 'eps', this.eps);
    checkNonNegative(kind, 'weightDecay', this.weightDecay);
  }

  step(): void {
    noGrad(() => {
      this.params.forEach((param, i) => {
        if (param.grad === null) return;
        this.steps[i]++;
        adamUpdate(param, param.grad, this.slot(i, 'exp_avg'), this.slot(i, 'exp_avg_sq'), {
          lr: this.lr,
          beta1: this.beta1,
          beta2: this.beta2,
          eps: this.eps,
          weightDecay: this.weightDecay,
          decoupled: this.decoupled,
          step: this.steps[i],
        });
      });
    });
    // Submitting here lets the GPU run this step while JavaScript records the next one.
    flush();
  }

  protected hyperparameters(): OptimizerOptions {
    return { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay };
  }

  protected setHyperparameters(options: OptimizerOptions): void {
    const kind = this.kind;
    this.beta1 = savedOption(kind, options, 'beta1', 'number');
    this.beta2 = savedOption(kind, options, 'beta2', 'number');
    this.eps = savedOption(kind, options, 'eps', 'number');
    this.weightDecay = savedOption(kind, options, 'weightDecay', 'number');
    this.checkOptions();
  }
}

/** Adam with the weight decay added to the gradient (L2 penalty). */
export class Adam extends AdamBase {
  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super(params, options, false);
  }
}

/** Adam with decoupled weight decay: param *= 1 - lr * weightDecay before the Adam step. */
export class AdamW extends AdamBase {
  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super(params, options, true);
  }
}
