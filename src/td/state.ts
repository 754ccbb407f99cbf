// Forming {s; e} from a model's two hidden states, and taking a decoded state back
// apart, for the encoders and decoders of the communication modules.

import { concat, reshape } from '../ops/shape-ops.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { StateJoin } from './config.js';

/** The hidden states of a staged model: s after the lower stage, e after the upper stage. */
export interface HiddenState {
  s: Tensor;
  e: Tensor;
}

/** Layout of one model's {s; e} for its encoder and decoder. */
export class StateLayout {
  constructor(
    readonly join: StateJoin,
    readonly dims: { s: number; e: number },
    readonly tokenCount: number | null,
  ) {
    if (join === 'flattenTokens' && tokenCount === null) throw new Error("StateLayout: 'flattenTokens' needs tokenCount");
  }

  private get tokens(): number {
    return this.join === 'flattenTokens' ? (this.tokenCount as number) : 1;
  }

  /** Feature size of {s; e}: the encoder's input dim. */
  get jointDim(): number {
    return this.tokens * (this.dims.s + this.dims.e);
  }

  /** Feature sizes of the decoder's two outputs. */
  get decodedDims(): { s: number; e: number } {
    return { s: this.tokens * this.dims.s, e: this.tokens * this.dims.e };
  }

  /** {s; e}: s and e concatenated along the last dim ('concat') or flattened per example first ('flattenTokens'). */
  joinState(state: HiddenState, context: string): Tensor {
    const { s, e } = state;
    const leadS = s.shape.slice(0, -1);
    const leadE = e.shape.slice(0, -1);
    const leadMatch = leadS.length === leadE.length && leadS.every((d, i) => d === leadE[i]);
    if (!leadMatch || s.shape[s.rank - 1] !== this.dims.s || e.shape[e.rank - 1] !== this.dims.e) {
      throw new Error(
        `${context}: states s ${formatShape(s.shape)} and e ${formatShape(e.shape)} do not fit stateDims { s: ${this.dims.s}, e: ${this.dims.e} } with equal leading dims`,
      );
    }
    if (this.join === 'concat') return concat([s, e], -1);
    if (s.rank !== 3 || s.shape[1] !== this.tokenCount) {
      throw new Error(`${context}: 'flattenTokens' needs states [batch, ${this.tokenCount}, dim], got s ${formatShape(s.shape)}`);
    }
    const batch = s.shape[0];
    return concat([reshape(s, [batch, -1]), reshape(e, [batch, -1])], -1);
  }

  /** Brings decoded states back to the model's own shapes ([batch, tokens, dim] for 'flattenTokens'). */
  splitDecoded(decoded: HiddenState): HiddenState {
    if (this.join === 'concat') return decoded;
    const batch = decoded.s.shape[0];
    return {
      s: reshape(decoded.s, [batch, this.tokens, this.dims.s]),
      e: reshape(decoded.e, [batch, this.tokens, this.dims.e]),
    };
  }
}
