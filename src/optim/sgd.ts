// Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay,
// following PyTorch's torch.optim.SGD update rule, in one fused kernel per parameter.

import { noGrad } from '../autograd/grad-mode.js';
import { flush } from '../gpu/runtime.js';
import { sgdUpdate } from '../ops/optimizer-update.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkNonNegative, Optimizer, savedOption, type OptimizerOptions } from './optimizer.js';

export interface SgdOptions {
  lr: number;
  /** Default 0 (no momentum buffer). */
  momentum?: number;
  /** Default 0. */
  dampening?: number;
  /** Default false. Needs momentum > 0 and dampening 0. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
}

export class SGD extends Optimizer {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;

  constructor(params: Iterable<Tensor>, options: SgdOptions) {
    super(params, options.lr, 'SGD');
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = options.weightDecay ?? 0;
    this.checkOptions();
  }

  private checkOptions(): void {
    checkNonNegative('SGD', 'momentum', this.momentum);
    checkNonNegative('SGD', 'dampening', this.dampening);
    checkNonNegative('SGD', 'weightDecay', this.weightDecay);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error(`SGD: nesterov needs momentum > 0 and dampening 0, got momentum ${this.momentum}, dampening ${this.dampening}`);
    }
  }

  step(): void {
    noGrad(() => {
      this.params.forEach((param, i) => {
        if (param.grad === null) return;
        const buffer = this.momentum > 0 ? this.slot(i, 'momentum_buffer') : null;
        sgdUpdate(param, param.grad, buffer, {
          lr: this.lr,
          momentum: this.momentum,
          dampening: this.dampening,
          nesterov: this.nesterov,
          weightDecay: this.weightDecay,
          firstStep: this.steps[i] === 0,
        });
        this.steps[i]++;
      });
    });
    // Submitting here lets the GPU run this step while JavaScript records the next one.
    flush();
  }

  protected hyperparameters(): OptimizerOptions {
    return { momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }

  protected setHyperparameters(options: OptimizerOptions): void {
    this.momentum = savedOption('SGD', options, 'momentum', 'number');
    this.dampening = savedOption('SGD', options, 'dampening', 'number');
    this.nesterov = savedOption('SGD', options, 'nesterov', 'boolean');
    this.weightDecay = savedOption('SGD', options, 'weightDecay', 'number');
    this.checkOptions();
  }
}
