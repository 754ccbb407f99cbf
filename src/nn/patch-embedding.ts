// ViT input stages: PatchEmbedding cuts an image into non-overlapping P x P patches
// and projects each flattened patch with one matmul (the same map as a convolution
// with kernel size and stride P), and TokenEmbedding prepends the class token and adds
// learned position embeddings.

import { defaultRng, zeros } from '../ops/create.js';
import { matmul } from '../ops/matmul.js';
import { concat, expand, permute, reshape } from '../ops/shape-ops.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';
import { lecunNormal, normal } from './init.js';
import { Module } from './module.js';

export interface PatchEmbeddingOptions {
  rng?: Rng;
}

export class PatchEmbedding extends Module {
  readonly channels: number;
  readonly patchSize: number;
  readonly dim: number;
  /**
   * Kernel [C * P * P, dim], rows in (channel, patch row, patch column) order: row
   * c P^2 + i P + j is the pixel at (i, j) of channel c. This is a conv kernel
   * [dim, C, P, P] reshaped to [dim, C P^2] and transposed.
   */
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(channels: number, patchSize: number, dim: number, options: PatchEmbeddingOptions = {}) {
    super();
    for (const [name, value] of [['channels', channels], ['patchSize', patchSize], ['dim', dim]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`PatchEmbedding: ${name} must be a positive integer, got ${value}`);
    }
    this.channels = channels;
    this.patchSize = patchSize;
    this.dim = dim;
    const fanIn = channels * patchSize * patchSize;
    // Flax initializes convolution kernels with LeCun normal, and so the reference ViT's patch embedding.
    this.weight = this.registerParameter('weight', lecunNormal([fanIn, dim], fanIn, options.rng ?? defaultRng()));
    this.bias = this.registerParameter('bias', zeros([dim]));
  }

  /** Maps images [B, C, H, W] to patch tokens [B, (H/P) (W/P), dim], patches in row-major order. */
  forward(images: Tensor): Tensor {
    const P = this.patchSize;
    const [batch, channels, height, width] = images.shape;
    if (images.rank !== 4 || channels !== this.channels || height % P !== 0 || width % P !== 0) {
      throw new Error(
        `PatchEmbedding: images ${formatShape(images.shape)} must be [B, ${this.channels}, H, W] with H and W multiples of patch size ${P}`,
      );
    }
    const rows = height / P;
    const cols = width / P;

    // [B, C, rows, P, cols, P] -> [B, rows, cols, C, P, P]: one copy, then a free reshape.
    const grid = reshape(images, [batch, channels, rows, P, cols, P]);
    const patches = reshape(permute(grid, [0, 2, 4, 1, 3, 5]), [batch, rows * cols, channels * P * P]);
    return matmul(patches, this.weight, { bias: this.bias });
  }
}

export interface TokenEmbeddingOptions {
  rng?: Rng;
}

export class TokenEmbedding extends Module {
  readonly numPatches: number;
  readonly dim: number;
  /** [1, 1, dim], starts at zero. */
  readonly classToken: Tensor;
  /** [1, numPatches + 1, dim], normal with std 0.02. Row 0 belongs to the class token. */
  readonly positionEmbedding: Tensor;

  constructor(numPatches: number, dim: number, options: TokenEmbeddingOptions = {}) {
    super();
    this.numPatches = numPatches;
    this.dim = dim;
    this.classToken = this.registerParameter('classToken', zeros([1, 1, dim]));
    this.positionEmbedding = this.registerParameter('positionEmbedding', normal([1, numPatches + 1, dim], 0.02, options.rng ?? defaultRng()));
  }

  /** Maps patch tokens [B, N, dim] to [B, N + 1, dim]: the class token first, plus position embeddings. */
  forward(patches: Tensor): Tensor {
    if (patches.rank !== 3 || patches.shape[1] !== this.numPatches || patches.shape[2] !== this.dim) {
      throw new Error(`TokenEmbedding: patches ${formatShape(patches.shape)} must be [B, ${this.numPatches}, ${this.dim}]`);
    }
    const classTokens = expand(this.classToken, [patches.shape[0], 1, this.dim]);
    return concat([classTokens, patches], 1).add(this.positionEmbedding);
  }
}
