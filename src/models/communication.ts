// The communication modules of talking-model distillation: an encoder turns a model's
// states into a message and a decoder turns a message back into states.
//   encoder: m = E({s; e})          ({s; e} is s and e concatenated on the last dim)
//   decoder: {s~; e~} = D(m), split back into s~ and e~
// Both are the same block over the last dim, so they accept [B, D] and [B, T, D]:
//   y = Linear2(Dropout(ReLU(Linear1(LayerNorm(x)))))
// The LayerNorm sits on the block's input because {s; e} joins features of different
// scales (embeddings and hidden activations). The output has no norm, so a decoder can
// reproduce states of any scale.

import { Dropout } from '../nn/dropout.js';
import { LayerNorm } from '../nn/layernorm.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { defaultRng } from '../ops/create.js';
import { concat, slice } from '../ops/shape-ops.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';

export interface CommunicationOptions {
  /** Dropout probability on the hidden layer. Default 0. */
  dropout?: number;
  /** Generator of the initial weights and dropout seeds. */
  rng?: Rng;
  /** LayerNorm eps. Default 1e-5. */
  eps?: number;
}

/** LayerNorm, dense + ReLU, dropout, dense, over the last dim. */
export class DenseReluDense extends Module {
  readonly inDim: number;
  readonly outDim: number;
  readonly norm: LayerNorm;
  readonly dense1: Linear;
  readonly dropout: Dropout;
  readonly dense2: Linear;

  constructor(inDim: number, hiddenDim: number, outDim: number, options: CommunicationOptions = {}) {
    super();
    const rng = options.rng ?? defaultRng();
    this.inDim = inDim;
    this.outDim = outDim;
    this.norm = this.registerModule('norm', new LayerNorm(inDim, { eps: options.eps }));
    this.dense1 = this.registerModule('dense1', new Linear(inDim, hiddenDim, { rng, activation: 'relu' }));
    this.dropout = this.registerModule('dropout', new Dropout(options.dropout ?? 0, { rng }));
    this.dense2 = this.registerModule('dense2', new Linear(hiddenDim, outDim, { rng }));
  }

  forward(x: Tensor): Tensor {
    return this.dense2.forward(this.dropout.forward(this.dense1.forward(this.norm.forward(x))));
  }
}

/** Maps a model's states to a message: m = E({s; e}). inDim is the width of {s; e}. */
export class CommunicationEncoder extends Module {
  readonly block: DenseReluDense;

  constructor(inDim: number, hiddenDim: number, messageDim: number, options: CommunicationOptions = {}) {
    super();
    this.block = this.registerModule('block', new DenseReluDense(inDim, hiddenDim, messageDim, options));
  }

  /** Encodes states already joined on the last dim, [..., inDim] -> [..., messageDim]. */
  forward(states: Tensor): Tensor {
    return this.block.forward(states);
  }

  /** Joins s and e on the last dim and encodes them. */
  encode(s: Tensor, e: Tensor): Tensor {
    if (s.rank !== e.rank || s.shape.slice(0, -1).some((d, i) => d !== e.shape[i])) {
      throw new Error(`CommunicationEncoder: s ${formatShape(s.shape)} and e ${formatShape(e.shape)} differ outside the last dim`);
    }
    return this.forward(concat([s, e], -1));
  }
}

/** Maps a message back to states: {s~; e~} = D(m), split on the last dim. */
export class CommunicationDecoder extends Module {
  readonly block: DenseReluDense;
  readonly stateDims: { s: number; e: number };

  constructor(messageDim: number, hiddenDim: number, stateDims: { sDim: number; eDim: number }, options: CommunicationOptions = {}) {
    super();
    this.stateDims = { s: stateDims.sDim, e: stateDims.eDim };
    this.block = this.registerModule('block', new DenseReluDense(messageDim, hiddenDim, stateDims.sDim + stateDims.eDim, options));
  }

  /** [..., messageDim] -> s [..., sDim] and e [..., eDim]. */
  forward(message: Tensor): { s: Tensor; e: Tensor } {
    const states = this.block.forward(message);
    const { s, e } = this.stateDims;
    return { s: slice(states, -1, 0, s), e: slice(states, -1, s, s + e) };
  }
}
