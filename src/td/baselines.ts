// Baseline losses in the same framework as TD, with the same models and distance:
//   scratch: L(y, y_g) alone
//   ld:      + wLogit L_logit, after Hinton, Vinyals and Dean (2015), "Distilling the
//            knowledge in a neural network": T^2 KL(softmax(y_h / T) || softmax(y_g / T))
//            for classification, squared error d(y_g, y_h) for regression
//   fd:      + wFeature d(E_g({s_g; e_g}), E_h({s_h; e_h})), after Heo et al. (2019),
//            "A comprehensive overhaul of feature distillation", with learned encoders
//   fitnet:  + wFitnet d({s_g; e_g}, D_g({s_h; e_h})), after Romero et al. (2014),
//            "FitNets: Hints for thin deep nets": the student decodes the teacher's raw states
//   hybrid:  + wLogit L_logit + wFeature L_feature, after Zhu and Wang (2021),
//            "Student customized knowledge distillation"

import { noGrad } from '../autograd/grad-mode.js';
import { klDivergence } from '../ops/losses.js';
import { reshape } from '../ops/shape-ops.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { distance } from './distance.js';
import { reductionOf } from './config.js';
import { addWeighted, lossDistance, required, type LossContext, type LossParts, type StudentForward } from './loss-context.js';

export function scratchLoss<Input>(ctx: LossContext<Input>, forward: StudentForward, target: Tensor): LossParts {
  const task = ctx.task.loss(forward.y, target);
  return { total: task, task };
}

/** L_logit between the student's and the teacher's predictions. */
function logitLoss<Input>(ctx: LossContext<Input>, studentY: Tensor): Tensor {
  const teacherY = ctx.teacherOutputs(true).y as Tensor;
  if (ctx.task.kind === 'classification') {
    if (teacherY.shape.join() !== studentY.shape.join()) {
      throw new Error(
        `ld: teacher logits ${formatShape(teacherY.shape)} do not match student logits ${formatShape(studentY.shape)}; ` +
          "the teacher's head does not fit the downstream labels, so fit a linear probe on e_h (fitLinearProbe) and pass it as teacherHead",
      );
    }
    return klDivergence(studentY, teacherY, { temperature: ctx.config.temperature });
  }
  if (teacherY.size !== studentY.size) {
    throw new Error(`ld: teacher prediction ${formatShape(teacherY.shape)} and student prediction ${formatShape(studentY.shape)} differ in size`);
  }
  const reduction = reductionOf(ctx.config, 'logit');
  return distance(studentY, reshape(teacherY, [...studentY.shape]), { kind: 'mse', reduction }, 'logit');
}

/** L_feature = d(E_g({s_g; e_g}), E_h({s_h; e_h})). */
function featureLoss<Input>(ctx: LossContext<Input>, forward: StudentForward): Tensor {
  const teacherOut = ctx.teacherOutputs(false);
  const teacherJoint = noGrad(() => ctx.teacherLayout.joinState({ s: teacherOut.s, e: teacherOut.e }, 'fd teacher state'));
  const studentMessage = required(ctx.modules.studentEncoder, 'E_g', 'fd').forward(ctx.studentLayout.joinState(forward, 'fd student state'));
  const teacherMessage = required(ctx.modules.teacherEncoder, 'E_h', 'fd').forward(teacherJoint);
  return lossDistance(ctx.config, studentMessage, teacherMessage, 'feature');
}

/** L_fitnet = d({s_g; e_g}, D_g({s_h; e_h})). */
function hintLoss<Input>(ctx: LossContext<Input>, forward: StudentForward): Tensor {
  const teacherOut = ctx.teacherOutputs(false);
  const teacherJoint = noGrad(() => ctx.teacherLayout.joinState({ s: teacherOut.s, e: teacherOut.e }, 'fitnet teacher state'));
  const decoded = ctx.studentLayout.splitDecoded(required(ctx.modules.studentDecoder, 'D_g', 'fitnet').forward(teacherJoint));
  return lossDistance(
    ctx.config,
    ctx.studentLayout.joinState(forward, 'fitnet student state'),
    ctx.studentLayout.joinState(decoded, 'fitnet decoded state'),
    'fitnet',
  );
}

export function ldLoss<Input>(ctx: LossContext<Input>, forward: StudentForward, target: Tensor): LossParts {
  const parts = scratchLoss(ctx, forward, target);
  parts.logit = logitLoss(ctx, forward.y);
  parts.total = addWeighted(parts.total, parts.logit, ctx.config.wLogit);
  return parts;
}

export function fdLoss<Input>(ctx: LossContext<Input>, forward: StudentForward, target: Tensor): LossParts {
  const parts = scratchLoss(ctx, forward, target);
  parts.feature = featureLoss(ctx, forward);
  parts.total = addWeighted(parts.total, parts.feature, ctx.config.wFeature);
  return parts;
}

/**
 * Computes the FitNet loss. One stage (fitnetHintSteps 0): task loss plus weighted hint loss. Two stages: the
 * first fitnetHintSteps steps of the joint stage train on the weighted hint loss
 * alone, later steps on the task loss alone.
 */
export function fitnetLoss<Input>(ctx: LossContext<Input>, forward: StudentForward, target: Tensor): LossParts {
  const parts = scratchLoss(ctx, forward, target);
  const hintSteps = ctx.config.fitnetHintSteps;
  if (hintSteps > 0 && ctx.jointStep >= hintSteps) return parts;

  parts.fitnet = hintLoss(ctx, forward);
  // The hint stage leaves the task loss out of the graph, so the student's head gets no
  // gradient and the optimizer skips it.
  if (hintSteps > 0) parts.total = parts.fitnet.mul(ctx.config.wFitnet);
  else parts.total = addWeighted(parts.total, parts.fitnet, ctx.config.wFitnet);
  return parts;
}

export function hybridLoss<Input>(ctx: LossContext<Input>, forward: StudentForward, target: Tensor): LossParts {
  const parts = scratchLoss(ctx, forward, target);
  parts.logit = logitLoss(ctx, forward.y);
  parts.feature = featureLoss(ctx, forward);
  parts.total = addWeighted(parts.total, parts.logit, ctx.config.wLogit);
  parts.total = addWeighted(parts.total, parts.feature, ctx.config.wFeature);
  return parts;
}
