// Vision Transformer classifier (Dosovitskiy et al. 2021, "An Image is Worth 16x16
// Words"), split into the stages that distillation needs:
//   lower: patch embedding, class token, position embeddings, dropout, and the first
//          `split` blocks -> token states s [B, T, dim] (T = patches + 1)
//   upper: the remaining blocks and the final LayerNorm -> e [B, T, dim]
//   head:  the dense `classifier` on the class token of e -> logits [B, numClasses]
// Initialization follows the reference implementation (google-research/vision_transformer):
// the classifier starts at zero, so a fresh model predicts uniform logits.

import { Dropout } from '../nn/dropout.js';
import { LayerNorm } from '../nn/layernorm.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { PatchEmbedding, TokenEmbedding } from '../nn/patch-embedding.js';
import { Sequential } from '../nn/sequential.js';
import { TransformerBlock } from '../nn/transformer.js';
import { reshape, slice } from '../ops/shape-ops.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Rng } from '../util/rng.js';
import type { StagedModel } from './staged.js';

export interface VitConfig {
  /** Image height and width, or one number for square images. */
  imageSize: number | [number, number];
  channels: number;
  patchSize: number;
  dim: number;
  heads: number;
  /** Number of transformer blocks. */
  depth: number;
  /** Hidden width of each block's MLP. */
  mlpDim: number;
  numClasses: number;
  /** Dropout after the embeddings, the attention and in the MLP blocks. Default 0. */
  dropout?: number;
  /** Blocks that belong to the lower stage, in [0, depth]. Default 0. */
  split?: number;
  /** LayerNorm eps. Default 1e-6, as the reference ViT. Hugging Face checkpoints use 1e-12. */
  eps?: number;
  /** GELU form. Default 'none' (exact erf). */
  geluApproximate?: 'none' | 'tanh';
  /** Seed of the initial weights and dropout masks. Default 0. */
  seed?: number;
}

export interface FromTeacherOptions {
  /** Number of the teacher's first blocks the student keeps. */
  blocks: number;
  /** Student split point. Default: the teacher's, capped at `blocks`. */
  split?: number;
  /** Student dropout. Default: the teacher's. */
  dropout?: number;
}

export class ViT extends Module implements StagedModel<Tensor> {
  readonly config: VitConfig;
  readonly stateDims: { s: number; e: number };
  readonly split: number;
  readonly patchEmbedding: PatchEmbedding;
  readonly tokens: TokenEmbedding;
  readonly dropout: Dropout;
  readonly blocks: Sequential;
  readonly norm: LayerNorm;
  readonly classifier: Linear;

  constructor(config: VitConfig) {
    super();
    const [height, width] = typeof config.imageSize === 'number' ? [config.imageSize, config.imageSize] : config.imageSize;
    const split = config.split ?? 0;
    if (height % config.patchSize !== 0 || width % config.patchSize !== 0) {
      throw new Error(`ViT: image size ${height}x${width} is not a multiple of patch size ${config.patchSize}`);
    }
    if (!Number.isInteger(config.depth) || config.depth < 0 || !Number.isInteger(split) || split < 0 || split > config.depth) {
      throw new Error(`ViT: split ${split} must be an integer in [0, depth ${config.depth}]`);
    }
    this.config = structuredClone(config);
    this.split = split;
    this.stateDims = { s: config.dim, e: config.dim };

    const rng = new Rng(config.seed ?? 0);
    const numPatches = (height / config.patchSize) * (width / config.patchSize);
    const blockOptions = { rng, dropout: config.dropout, eps: config.eps ?? 1e-6, geluApproximate: config.geluApproximate };
    this.patchEmbedding = this.registerModule('patchEmbedding', new PatchEmbedding(config.channels, config.patchSize, config.dim, { rng }));
    this.tokens = this.registerModule('tokens', new TokenEmbedding(numPatches, config.dim, { rng }));
    this.dropout = this.registerModule('dropout', new Dropout(config.dropout ?? 0, { rng }));
    const blocks = Array.from({ length: config.depth }, () => new TransformerBlock(config.dim, config.heads, config.mlpDim, blockOptions));
    this.blocks = this.registerModule('blocks', new Sequential(...blocks));
    this.norm = this.registerModule('norm', new LayerNorm(config.dim, { eps: config.eps ?? 1e-6 }));
    this.classifier = this.registerModule('classifier', new Linear(config.dim, config.numClasses, { rng, weightInit: 'zeros' }));
  }

  /**
   * A student with the teacher's first `blocks` blocks and its embeddings, final
   * LayerNorm and classifier, copied (the two models share no storage).
   */
  static fromTeacher(teacher: ViT, options: FromTeacherOptions): ViT {
    const { blocks } = options;
    if (!Number.isInteger(blocks) || blocks < 0 || blocks > teacher.config.depth) {
      throw new Error(`ViT.fromTeacher: blocks ${blocks} must be an integer in [0, teacher depth ${teacher.config.depth}]`);
    }
    const student = new ViT({
      ...teacher.config,
      depth: blocks,
      split: options.split ?? Math.min(teacher.split, blocks),
      dropout: options.dropout ?? teacher.config.dropout,
    });
    const teacherState = teacher.stateDict();
    const copied = Object.fromEntries(Object.keys(student.stateDict()).map((key) => [key, teacherState[key]]));
    student.loadStateDict(copied);
    return student;
  }

  private runBlocks(x: Tensor, from: number, to: number): Tensor {
    let y = x;
    for (let i = from; i < to; i++) y = this.blocks.layers[i].forward(y);
    return y;
  }

  /** Images [B, C, H, W] -> token states [B, T, dim]. */
  lower(images: Tensor): Tensor {
    const tokens = this.tokens.forward(this.patchEmbedding.forward(images));
    return this.runBlocks(this.dropout.forward(tokens), 0, this.split);
  }

  upper(s: Tensor): Tensor {
    if (s.rank !== 3 || s.shape[1] !== this.tokens.numPatches + 1 || s.shape[2] !== this.config.dim) {
      throw new Error(`ViT.upper: states ${formatShape(s.shape)} must be [B, ${this.tokens.numPatches + 1}, ${this.config.dim}]`);
    }
    return this.norm.forward(this.runBlocks(s, this.split, this.config.depth));
  }

  /** Logits [B, numClasses] from the class token (token 0) of e. */
  head(e: Tensor): Tensor {
    const classToken = reshape(slice(e, 1, 0, 1), [e.shape[0], this.config.dim]);
    return this.classifier.forward(classToken);
  }

  forward(images: Tensor): Tensor {
    return this.head(this.upper(this.lower(images)));
  }
}
