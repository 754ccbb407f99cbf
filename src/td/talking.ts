// The loss of talking-model distillation (TD), after Zhao et al. (2023), "Talking
// Models: Distill Pre-trained Knowledge to Downstream Models via Interactive
// Communication", Algorithm 1. Student g (trainable), teacher h (frozen), encoders
// E_g, E_h and decoders D_g, D_h (trainable), k rounds:
//   m_g^0 = E_g({s_g; e_g}),  m_h^0 = E_h({s_h; e_h})
//   L = L(y, y_g) + wSC L_SC + wMC L_MC + wInteract sum_i L_interact^i
//   L_MC = d(m_g^0, m_h^0)
//   L_SC = d({s_g; e_g}, D_g(m_h^0)) + d({s_h; e_h}, D_h(m_g^0))
// In each round i, teacher and student take turns to decode a message, interpret it
// with their own upper stage and encode a returned message (see `interactionLoss`).

import { noGrad } from '../autograd/grad-mode.js';
import type { Tensor } from '../tensor/tensor.js';
import { addWeighted, lossDistance, required, type LossContext, type LossParts, type StudentForward } from './loss-context.js';
import type { HiddenState } from './state.js';

/** Returns whether L_SC and L_MC are still on at this step. */
function consistencyActive<Input>(ctx: LossContext<Input>): boolean {
  const until = ctx.config.consistencyUntilStep;
  return until === null || ctx.step < until;
}

/**
 * Sums L_interact over the k rounds, starting from the student's state and message.
 * With `interactCovers: 'e'` each round compares only e_g with e_g'.
 */
function interactionLoss<Input>(ctx: LossContext<Input>, studentState: HiddenState, studentMessage: Tensor): Tensor {
  const { config, teacher, student, studentLayout, teacherLayout } = ctx;
  const teacherDecoder = required(ctx.modules.teacherDecoder, 'D_h', 'td');
  const teacherEncoder = required(ctx.modules.teacherEncoder, 'E_h', 'td');
  const studentDecoder = required(ctx.modules.studentDecoder, 'D_g', 'td');
  const studentEncoder = required(ctx.modules.studentEncoder, 'E_g', 'td');

  let current = studentState;
  let message = studentMessage;
  let total: Tensor | null = null;
  for (let round = 0; round < config.rounds; round++) {
    // {s_h'; e_h'} = D_h(m_g^i); e_h' is not used here, only in L_SC.
    let teacherS = teacherLayout.splitDecoded(teacherDecoder.forward(message)).s;
    if (config.noiseStd > 0) teacherS = teacherS.add(ctx.noise(teacherS.shape));
    // e~_h = upper_h(s_h'): the teacher's weights are frozen, but gradients pass through them.
    const teacherInterpreted = teacher.upper(teacherS);
    // m_h^{i+1} = E_h({s_h'; e~_h}). Algorithm 1 writes E_g on this line, but the text
    // and Figure 1 of the paper have the teacher encode its returned message with E_h.
    const teacherMessage = teacherEncoder.forward(teacherLayout.joinState({ s: teacherS, e: teacherInterpreted }, 'td teacher message'));
    // {s_g'; e_g'} = D_g(m_h^{i+1})
    const decoded = studentLayout.splitDecoded(studentDecoder.forward(teacherMessage));

    const roundLoss =
      config.interactCovers === 'both'
        ? lossDistance(config, studentLayout.joinState(current, 'td student state'), studentLayout.joinState(decoded, 'td decoded state'), 'interact')
        : lossDistance(config, current.e, decoded.e, 'interact');
    total = total === null ? roundLoss : total.add(roundLoss);

    // The student's follow-up (e~_g = upper_g(s_g'), m_g^{i+1}) only feeds the next
    // round, so the last round skips it; the loss and its gradients are unchanged.
    if (round === config.rounds - 1) break;
    current = { s: decoded.s, e: student.upper(decoded.s) };
    message = studentEncoder.forward(studentLayout.joinState(current, 'td student follow-up'));
  }
  return total as Tensor;
}

/** Computes the TD loss parts of one batch from the student's forward pass. */
export function talkingLoss<Input>(ctx: LossContext<Input>, forward: StudentForward, target: Tensor): LossParts {
  const { config, studentLayout, teacherLayout } = ctx;
  const studentEncoder = required(ctx.modules.studentEncoder, 'E_g', 'td');
  const task = ctx.task.loss(forward.y, target);
  const parts: LossParts = { total: task, task };

  const studentState = { s: forward.s, e: forward.e };
  const studentJoint = studentLayout.joinState(studentState, 'td student state');
  // m_g^0 = E_g({s_g; e_g})
  const studentMessage = studentEncoder.forward(studentJoint);

  const wSC = consistencyActive(ctx) ? config.wSC : 0;
  const wMC = consistencyActive(ctx) ? config.wMC : 0;
  // Only the consistency losses need the teacher's forward pass on x.
  if (wSC > 0 || wMC > 0) {
    const teacherOut = ctx.teacherOutputs(false);
    const teacherState = { s: teacherOut.s, e: teacherOut.e };
    const teacherJoint = noGrad(() => teacherLayout.joinState(teacherState, 'td teacher state'));
    // m_h^0 = E_h({s_h; e_h})
    const teacherMessage = required(ctx.modules.teacherEncoder, 'E_h', 'td').forward(teacherJoint);
    if (wMC > 0) parts.messageConsistency = lossDistance(config, studentMessage, teacherMessage, 'messageConsistency');
    if (wSC > 0) {
      const studentDecoded = studentLayout.splitDecoded(required(ctx.modules.studentDecoder, 'D_g', 'td').forward(teacherMessage));
      const teacherDecoded = teacherLayout.splitDecoded(required(ctx.modules.teacherDecoder, 'D_h', 'td').forward(studentMessage));
      const studentSide = lossDistance(config, studentJoint, studentLayout.joinState(studentDecoded, 'td decoded state'), 'stateConsistency');
      const teacherSide = lossDistance(config, teacherJoint, teacherLayout.joinState(teacherDecoded, 'td teacher decoded state'), 'stateConsistency');
      parts.stateConsistency = studentSide.add(teacherSide);
    }
  }

  if (config.rounds > 0 && config.wInteract > 0) parts.interact = interactionLoss(ctx, studentState, studentMessage);

  let total = parts.total;
  total = addWeighted(total, parts.stateConsistency, wSC);
  total = addWeighted(total, parts.messageConsistency, wMC);
  total = addWeighted(total, parts.interact, config.wInteract);
  parts.total = total;
  return parts;
}
