// Loss functions. crossEntropy and klDivergence are fused with their log-softmax
// (shaders/cross-entropy*.wgsl, shaders/kl-divergence*.wgsl): one row kernel forward,
// one elementwise kernel backward. mseLoss and smoothL1Loss are composed from
// elementwise ops.

import { record } from '../autograd/engine.js';
import { noGrad } from '../autograd/grad-mode.js';
import { dispatch, grid, packParams, placeholderBuffer } from '../gpu/runtime.js';
import { knownRange } from '../tensor/known-range.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { compare, where } from './binary.js';
import { full } from './create.js';
import { assertFloat } from './kernels.js';
import { rowLayout } from './row-layout.js';
import { mean, sum } from './reduce.js';
import { NEG_INF_BITS } from './softmax.js';

export type Reduction = 'mean' | 'sum' | 'none';

const NAN_BITS = 0x7fc00000;
const REDUCTION_MODES: Record<Reduction, number> = { none: 0, sum: 1, mean: 2 };

function checkReduction(op: string, reduction: Reduction): void {
  if (!(reduction in REDUCTION_MODES)) {
    throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
  }
}

function reduce(x: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'sum') return sum(x);
  if (reduction === 'mean') return mean(x);
  return x;
}

export interface CrossEntropyOptions {
  /** eps in [0, 1]: the target distribution is (1 - eps) one-hot + eps / C. */
  labelSmoothing?: number;
  reduction?: Reduction;
  /** Rows with this target add nothing and are not counted by 'mean' (default -100, as in PyTorch). */
  ignoreIndex?: number;
}

function checkTargets(logits: Tensor, targets: Tensor, ignoreIndex: number): void {
  if (logits.rank !== 2) {
    throw new Error(`crossEntropy: logits must be [N, C], got ${formatShape(logits.shape)}; reshape to [-1, C] first`);
  }
  if (targets.dtype !== 'int32' || !sameShape(targets.shape, [logits.shape[0]])) {
    throw new Error(
      `crossEntropy: targets must be int32 [${logits.shape[0]}] for logits ${formatShape(logits.shape)}, got ${targets.dtype} ${formatShape(targets.shape)}`,
    );
  }
  const range = knownRange(targets);
  if (range === null || targets.size === 0) return;
  const classes = logits.shape[1];
  for (const v of [range.min, range.max]) {
    if (v !== ignoreIndex && (v < 0 || v >= classes)) {
      throw new Error(`crossEntropy: target ${v} is out of range for ${classes} classes (ignoreIndex ${ignoreIndex})`);
    }
  }
}

/**
 * Computes the cross-entropy of logits [N, C] against int32 class targets [N], with
 * PyTorch's semantics for label smoothing, ignoreIndex and 'mean', which divides by
 * the number of non-ignored rows (NaN when all are ignored). A target out of range
 * throws here when the values are known on the CPU (tensors made by `tensor()`).
 * Otherwise the GPU kernel makes that row's loss and gradient NaN.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const smoothing = options.labelSmoothing ?? 0;
  const reduction = options.reduction ?? 'mean';
  const ignoreIndex = options.ignoreIndex ?? -100;
  assertFloat('crossEntropy', logits);
  checkReduction('crossEntropy', reduction);
  if (!(smoothing >= 0 && smoothing <= 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1], got ${smoothing}`);
  if (!Number.isInteger(ignoreIndex)) throw new Error(`crossEntropy: ignoreIndex must be an integer, got ${ignoreIndex}`);
  checkTargets(logits, targets, ignoreIndex);
  const [rows, classes] = logits.shape;

  const losses = Tensor.empty([rows], 'float32', 'crossEntropy');
  const valid = Tensor.empty([rows], 'float32', 'crossEntropy');
  const stats = Tensor.empty([rows, 2], 'float32', 'crossEntropy');
  if (rows > 0) {
    dispatch({
      shader: 'cross-entropy',
      ...rowLayout(rows, classes),
      buffers: [logits.buffer, targets.buffer, losses.buffer, valid.buffer, stats.buffer],
      params: packParams([
        ['u32', rows], ['u32', classes], ['i32', ignoreIndex], ['f32', smoothing],
        ['u32', NEG_INF_BITS], ['u32', NAN_BITS],
      ]),
    });
  }
  const { out, count } = noGrad(() => {
    if (reduction === 'none') return { out: losses, count: null };
    const total = sum(losses);
    if (reduction === 'sum') return { out: total, count: null };
    const n = sum(valid);
    return { out: total.div(n), count: n };
  });
  if (out !== losses) losses.dispose();
  valid.dispose();

  // Saves logits, targets, the row stats and (for 'mean') the non-ignored count.
  record(out, 'crossEntropy', [logits], (dy) => {
    const dx = Tensor.empty(logits.shape, 'float32', 'crossEntropy backward');
    if (logits.size === 0) return [dx];
    dispatch({
      shader: 'cross-entropy-backward',
      buffers: [logits.buffer, targets.buffer, stats.buffer, dy.buffer, count?.buffer ?? placeholderBuffer(), dx.buffer],
      params: packParams([
        ['u32', logits.size], ['u32', classes], ['i32', ignoreIndex], ['f32', smoothing],
        ['u32', REDUCTION_MODES[reduction]], ['u32', NAN_BITS],
      ]),
      workgroups: grid(logits.size, 256),
    });
    return [dx];
  });
  if (out.gradFn === null) {
    stats.dispose();
    count?.dispose();
  }
  return out;
}

export interface KlDivergenceOptions {
  /** Softmax temperature T > 0; the loss is scaled by T^2. */
  temperature?: number;
}

/**
 * Computes the distillation loss T^2 * mean over rows of KL(softmax(teacher / T) ||
 * softmax(student / T)), each KL summed over the last dim. The T^2 factor offsets the
 * 1 / T^2 shrinking of the soft-target gradients at high T. Rows are all leading
 * indices, so for [N, C] this equals PyTorch's kl_div(..., reduction='batchmean') * T^2.
 * Gradients flow to both logits.
 */
export function klDivergence(studentLogits: Tensor, teacherLogits: Tensor, options: KlDivergenceOptions = {}): Tensor {
  const temperature = options.temperature ?? 1;
  assertFloat('klDivergence', studentLogits, teacherLogits);
  if (!sameShape(studentLogits.shape, teacherLogits.shape) || studentLogits.rank === 0) {
    throw new Error(
      `klDivergence: student ${formatShape(studentLogits.shape)} and teacher ${formatShape(teacherLogits.shape)} logits must have the same shape of rank >= 1`,
    );
  }
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new Error(`klDivergence: temperature must be a finite number > 0, got ${temperature}`);
  }
  const classes = studentLogits.shape[studentLogits.rank - 1];
  const rows = classes === 0 ? 0 : studentLogits.size / classes;
  if (rows === 0) throw new Error(`klDivergence: logits ${formatShape(studentLogits.shape)} have no rows to average over`);

  const rowKl = Tensor.empty([rows], 'float32', 'klDivergence');
  const stats = Tensor.empty([rows, 4], 'float32', 'klDivergence');
  dispatch({
    shader: 'kl-divergence',
    ...rowLayout(rows, classes),
    buffers: [studentLogits.buffer, teacherLogits.buffer, rowKl.buffer, stats.buffer],
    params: packParams([['u32', rows], ['u32', classes], ['f32', 1 / temperature], ['u32', NEG_INF_BITS]]),
  });
  const out = noGrad(() => sum(rowKl).mul((temperature * temperature) / rows));

  // Saves both logits, the row KL and the row stats.
  record(out, 'klDivergence', [studentLogits, teacherLogits], (dy) => {
    const dStudent = Tensor.empty(studentLogits.shape, 'float32', 'klDivergence backward');
    const dTeacher = teacherLogits.requiresGrad ? Tensor.empty(teacherLogits.shape, 'float32', 'klDivergence backward') : null;
    const n = studentLogits.size;
    dispatch({
      shader: 'kl-divergence-backward',
      buffers: [
        studentLogits.buffer, teacherLogits.buffer, rowKl.buffer, stats.buffer, dy.buffer,
        dStudent.buffer, dTeacher?.buffer ?? placeholderBuffer(),
      ],
      params: packParams([
        ['u32', n], ['u32', classes], ['f32', 1 / temperature], ['f32', temperature / rows],
        ['u32', dTeacher === null ? 0 : 1],
      ]),
      workgroups: grid(n, 256),
    });
    return [studentLogits.requiresGrad ? dStudent : null, dTeacher];
  });
  if (out.gradFn === null) {
    rowKl.dispose();
    stats.dispose();
  }
  return out;
}

function checkPair(op: string, a: Tensor, b: Tensor): void {
  assertFloat(op, a, b);
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(`${op}: input ${formatShape(a.shape)} and target ${formatShape(b.shape)} differ in shape; reshape or expand one of them`);
  }
}

export interface LossOptions {
  reduction?: Reduction;
}

/** Computes the squared error (a - b)^2 with the given reduction. */
export function mseLoss(a: Tensor, b: Tensor, options: LossOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkPair('mseLoss', a, b);
  checkReduction('mseLoss', reduction);
  const d = a.sub(b);
  return reduce(d.mul(d), reduction);
}

export interface SmoothL1Options extends LossOptions {
  /** Threshold on |a - b|: below it the loss is 0.5 (a - b)^2 / beta, above it |a - b| - 0.5 beta. */
  beta?: number;
}

/** Computes the smooth L1 loss as PyTorch's smooth_l1_loss defines it. beta = 0 gives the L1 loss. */
export function smoothL1Loss(a: Tensor, b: Tensor, options: SmoothL1Options = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  const beta = options.beta ?? 1;
  checkPair('smoothL1Loss', a, b);
  checkReduction('smoothL1Loss', reduction);
  if (!(beta >= 0 && Number.isFinite(beta))) throw new Error(`smoothL1Loss: beta must be a finite number >= 0, got ${beta}`);
  const d = a.sub(b);
  const absD = d.abs();
  if (beta === 0) return reduce(absD, reduction);
  const quadratic = d.mul(d).mul(0.5 / beta);
  const linear = absD.sub(0.5 * beta);
  const inside = compare('<', absD, full([], beta));
  return reduce(where(inside, quadratic, linear), reduction);
}
