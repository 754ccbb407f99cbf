// Dropout as a layer: active only while the module is in training mode.

import { defaultRng } from '../ops/create.js';
import { dropout } from '../ops/dropout.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';
import { Module } from './module.js';

export interface DropoutLayerOptions {
  /** Generator of the per-call mask seeds. Defaults to the global one seeded by manualSeed. */
  rng?: Rng;
}

export class Dropout extends Module {
  readonly p: number;
  /** Generator of the mask seeds, whose state distiller checkpoints save. */
  readonly rng: Rng;

  constructor(p: number, options: DropoutLayerOptions = {}) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
    this.p = p;
    this.rng = options.rng ?? defaultRng();
  }

  /** Returns x itself in eval mode or when p is 0. A seed is drawn only when a mask is applied. */
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return dropout(x, this.p, { training: true, seed: this.rng.nextUint32() });
  }
}
