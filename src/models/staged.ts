// The hidden-state interface that distillation needs from every teacher and student.
//
// A model is split into three stages so that it can run its upper layers on a state
// decoded from someone else's message:
//   lower: input x -> s (processed input signals)
//   upper: s -> e (the hidden layers above the lower stage)
//   head:  e -> y (the prediction)
// For token models s and e are [batch, tokens, dim]; for vector models [batch, dim].

import type { Tensor } from '../tensor/tensor.js';

export interface StagedModel<Input> {
  lower(x: Input): Tensor;
  upper(s: Tensor): Tensor;
  head(e: Tensor): Tensor;
  /** Feature sizes (last dim) of s and e. */
  readonly stateDims: { s: number; e: number };
}
