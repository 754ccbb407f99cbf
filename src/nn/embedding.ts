// Lookup tables: Embedding picks rows by id, EmbeddingBag pools the rows of each
// variable-length bag (CSR ids and offsets) by mean or sum.

import { defaultRng } from '../ops/create.js';
import { embedding, embeddingBag } from '../ops/embedding.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';
import { normal } from './init.js';
import { Module } from './module.js';

export interface EmbeddingOptions {
  rng?: Rng;
  /** Std of the normal initial rows. Default 1, as in PyTorch. */
  std?: number;
}

function checkSizes(layer: string, numEmbeddings: number, embeddingDim: number): void {
  for (const [name, value] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${layer}: ${name} must be a positive integer, got ${value}`);
  }
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** Table of shape [numEmbeddings, embeddingDim]. */
  readonly weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    checkSizes('Embedding', numEmbeddings, embeddingDim);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.weight = this.registerParameter('weight', normal([numEmbeddings, embeddingDim], options.std ?? 1, options.rng ?? defaultRng()));
  }

  /** Maps int32 ids of any shape to [...ids.shape, embeddingDim]. */
  forward(ids: Tensor): Tensor {
    return embedding(this.weight, ids);
  }
}

export interface EmbeddingBagLayerOptions extends EmbeddingOptions {
  /** 'mean' (default, as in PyTorch) or 'sum'. An empty bag gives a zero row. */
  mode?: 'mean' | 'sum';
}

export class EmbeddingBag extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly mode: 'mean' | 'sum';
  readonly weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingBagLayerOptions = {}) {
    super();
    checkSizes('EmbeddingBag', numEmbeddings, embeddingDim);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.mode = options.mode ?? 'mean';
    this.weight = this.registerParameter('weight', normal([numEmbeddings, embeddingDim], options.std ?? 1, options.rng ?? defaultRng()));
  }

  /** Pools bag b = ids[offsets[b] .. offsets[b + 1]) for int32 ids [nnz] and offsets [B + 1] into [B, embeddingDim]. */
  forward(ids: Tensor, offsets: Tensor): Tensor {
    return embeddingBag(this.weight, ids, offsets, { mode: this.mode });
  }
}
