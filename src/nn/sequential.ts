// A chain of layers applied in order. Submodules are named "0", "1", ... as in PyTorch.

import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** A module with a single-tensor forward, the kind a Sequential can chain. */
export interface Layer extends Module {
  forward(x: Tensor): Tensor;
}

export class Sequential extends Module {
  readonly layers: readonly Layer[];

  constructor(...layers: Layer[]) {
    super();
    layers.forEach((layer, i) => this.registerModule(String(i), layer));
    this.layers = layers;
  }

  get length(): number {
    return this.layers.length;
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.forward(y);
    return y;
  }
}
