// Fused in-place optimizer steps: one kernel per parameter tensor updates the
// parameter and its state buffers (shaders/adam.wgsl, shaders/sgd.wgsl). They write
// the buffers directly and record nothing for autograd.

import { watchInPlace } from '../autograd/anomaly.js';
import { isAnomalyDetectionEnabled } from '../autograd/grad-mode.js';
import { dispatch, grid, packParams, placeholderBuffer } from '../gpu/runtime.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { assertFloat } from './kernels.js';

export interface AdamUpdateOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay?: number;
  /** true: AdamW's decoupled decay (param *= 1 - lr * weightDecay); false: L2 added to the gradient. */
  decoupled?: boolean;
  /** 1-based count of steps taken, including this one; sets the bias corrections. */
  step: number;
}

function checkState(op: string, param: Tensor, others: [string, Tensor][]): void {
  assertFloat(op, param, ...others.map(([, t]) => t));
  for (const [name, t] of others) {
    if (!sameShape(t.shape, param.shape)) {
      throw new Error(`${op}: ${name} ${formatShape(t.shape)} must have the shape of param ${formatShape(param.shape)}`);
    }
    // One dispatch may not bind a buffer both writable and read elsewhere.
    if (t.buffer === param.buffer) throw new Error(`${op}: ${name} shares its storage with param; pass a separate tensor`);
  }
}

function checkHyper(op: string, values: Record<string, number>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isFinite(value)) throw new Error(`${op}: ${name} must be a finite number, got ${value}`);
  }
}

/**
 * Applies one step of Adam (decoupled = false) or AdamW (decoupled = true) in place
 * to param, m and v, with PyTorch's bias correction: param -= lr / (1 - beta1^t) *
 * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
 */
export function adamUpdate(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, options: AdamUpdateOptions): void {
  const { lr, beta1, beta2, eps, step } = options;
  const weightDecay = options.weightDecay ?? 0;
  checkState('adamUpdate', param, [['grad', grad], ['m', m], ['v', v]]);
  if (m.buffer === v.buffer || m.buffer === grad.buffer || v.buffer === grad.buffer) {
    throw new Error('adamUpdate: grad, m and v must have separate storage');
  }
  checkHyper('adamUpdate', { lr, beta1, beta2, eps, weightDecay });
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
    throw new Error(`adamUpdate: beta1 ${beta1} and beta2 ${beta2} must be in [0, 1)`);
  }
  if (!Number.isInteger(step) || step < 1) throw new Error(`adamUpdate: step must be an integer >= 1, got ${step}`);
  if (param.size === 0) return;

  dispatch({
    shader: 'adam',
    buffers: [param.buffer, grad.buffer, m.buffer, v.buffer],
    params: packParams([
      ['u32', param.size], ['u32', options.decoupled ? 1 : 0], ['f32', 1 - lr * weightDecay], ['f32', weightDecay],
      ['f32', beta2], ['f32', 1 - beta1], ['f32', 1 - beta2], ['f32', eps],
      ['f32', lr / (1 - beta1 ** step)], ['f32', Math.sqrt(1 - beta2 ** step)],
    ]),
    workgroups: grid(Math.ceil(param.size / 4), 256),
    label: 'adam',
  });
  if (isAnomalyDetectionEnabled()) watchInPlace(param, 'adamUpdate');
}

export interface SgdUpdateOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  /**
   * true on the first step with momentum: the buffer is set to the gradient, as PyTorch
   * does when it creates the buffer, instead of being decayed and added to.
   */
  firstStep?: boolean;
}

/** Applies one SGD step in place to param (and momentumBuffer when momentum > 0), as torch.optim.SGD does. */
export function sgdUpdate(param: Tensor, grad: Tensor, momentumBuffer: Tensor | null, options: SgdUpdateOptions): void {
  const { lr } = options;
  const momentum = options.momentum ?? 0;
  const dampening = options.dampening ?? 0;
  const weightDecay = options.weightDecay ?? 0;
  const nesterov = options.nesterov ?? false;
  checkState('sgdUpdate', param, momentumBuffer === null ? [['grad', grad]] : [['grad', grad], ['momentumBuffer', momentumBuffer]]);
  checkHyper('sgdUpdate', { lr, momentum, dampening, weightDecay });
  if (momentum > 0 && momentumBuffer === null) {
    throw new Error(`sgdUpdate: momentum ${momentum} needs a momentumBuffer of shape ${formatShape(param.shape)}`);
  }
  if (momentumBuffer !== null && momentumBuffer.buffer === grad.buffer) {
    throw new Error('sgdUpdate: grad and momentumBuffer must have separate storage');
  }
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new Error(`sgdUpdate: nesterov needs momentum > 0 and dampening 0, got momentum ${momentum}, dampening ${dampening}`);
  }
  if (param.size === 0) return;

  const useMomentum = momentum !== 0 && momentumBuffer !== null;
  dispatch({
    shader: 'sgd',
    buffers: [param.buffer, grad.buffer, useMomentum ? momentumBuffer.buffer : placeholderBuffer()],
    params: packParams([
      ['u32', param.size], ['u32', useMomentum ? 1 : 0], ['u32', options.firstStep ? 1 : 0], ['u32', nesterov ? 1 : 0],
      ['f32', lr], ['f32', momentum], ['f32', dampening], ['f32', weightDecay],
    ]),
    workgroups: grid(param.size, 256),
  });
  if (isAnomalyDetectionEnabled()) watchInPlace(param, 'sgdUpdate');
}
