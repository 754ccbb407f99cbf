// The demo's teachers and students, built from a ModelSize:
// - 'vit': the library's Vision Transformer on 28x28 grayscale images. Teacher and
//   student use the same patch size, so their token states have the same number of
//   tokens, as TD's messages need.
// - 'mlp': a staged MLP, small enough for a software adapter such as SwiftShader:
//     lower: flattened pixels -> s = ReLU(x W1 + b1)
//     upper: s -> e = ReLU(s W2 + b2)
//     head:  e -> logits = e W3 + b3

import { flatten, nn, Rng, ViT, type StagedModel, type td, type Tensor, type VitConfig } from '../../src/index.browser.js';

export type ModelSize =
  | { kind: 'vit'; patchSize: number; dim: number; heads: number; depth: number; mlpDim: number; split: number }
  | { kind: 'mlp'; hiddenDim: number };

export type DemoModel = td.DistillModel<Tensor>;

/** The JSON config that a checkpoint of a StagedMlp stores in its "config" metadata entry. */
export interface StagedMlpConfig {
  kind: 'staged-mlp';
  inputDim: number;
  hiddenDim: number;
  classes: number;
  /** Seed of the initial weights. */
  seed: number;
}

export class StagedMlp extends nn.Module implements StagedModel<Tensor> {
  readonly config: StagedMlpConfig;
  readonly stateDims: { s: number; e: number };
  readonly embed: nn.Linear;
  readonly hidden: nn.Linear;
  readonly classifier: nn.Linear;

  constructor(config: StagedMlpConfig) {
    super();
    this.config = config;
    const rng = new Rng(config.seed);
    this.embed = this.registerModule('embed', new nn.Linear(config.inputDim, config.hiddenDim, { rng, activation: 'relu' }));
    this.hidden = this.registerModule('hidden', new nn.Linear(config.hiddenDim, config.hiddenDim, { rng, activation: 'relu' }));
    this.classifier = this.registerModule('classifier', new nn.Linear(config.hiddenDim, config.classes, { rng }));
    this.stateDims = { s: config.hiddenDim, e: config.hiddenDim };
  }

  /** Takes images [batch, channels, height, width] and flattens them. */
  lower(x: Tensor): Tensor {
    return this.embed.forward(flatten(x, 1));
  }

  upper(s: Tensor): Tensor {
    return this.hidden.forward(s);
  }

  head(e: Tensor): Tensor {
    return this.classifier.forward(e);
  }
}

/** Returns the config of a Fashion-MNIST model of the given size; `seed` sets the initial weights. */
export function modelConfig(size: ModelSize, seed: number): VitConfig | StagedMlpConfig {
  if (size.kind === 'mlp') return { kind: 'staged-mlp', inputDim: 28 * 28, hiddenDim: size.hiddenDim, classes: 10, seed };
  const { kind: _, ...vit } = size;
  return { ...vit, imageSize: 28, channels: 1, numClasses: 10, seed };
}

export function createModel(config: VitConfig | StagedMlpConfig): DemoModel {
  return 'kind' in config && config.kind === 'staged-mlp' ? new StagedMlp(config) : new ViT(config as VitConfig);
}

/** Returns whether a checkpoint's config describes a model for 28x28 grayscale images. */
export function isFashionModelConfig(config: unknown): config is VitConfig | StagedMlpConfig {
  const c = config as (Partial<VitConfig> & Partial<StagedMlpConfig>) | null;
  if (typeof c !== 'object' || c === null) return false;
  const positive = (values: unknown[]) => values.every((v) => Number.isInteger(v) && (v as number) > 0);
  if (c.kind === 'staged-mlp') return c.inputDim === 28 * 28 && positive([c.hiddenDim, c.classes]);
  const square = c.imageSize === 28 || (Array.isArray(c.imageSize) && c.imageSize[0] === 28 && c.imageSize[1] === 28);
  return square && c.channels === 1 && positive([c.patchSize, c.dim, c.heads, c.depth, c.mlpDim, c.numClasses]);
}

/** The metadata "config" of a teacher checkpoint written by the CLI's teacher pre-training. */
interface ShippedTeacherInfo {
  kind: 'talkgrad-vit-teacher';
  vit: VitConfig;
  /** Data set classes that the teacher's head predicts, in head order. */
  classes: number[];
  testAccuracy?: number;
}

export interface TeacherCheckpointModel {
  config: VitConfig | StagedMlpConfig;
  /** Classes of the teacher's head, e.g. 5 for a teacher pre-trained on classes 0..4. */
  classes: number;
  description: string;
}

/**
 * Reads the model config out of a checkpoint's "config" metadata: the CLI's teacher
 * format ({ kind: 'talkgrad-vit-teacher', vit, classes }) or a bare model config.
 * Returns null when it is neither, or not a model for 28x28 grayscale images.
 */
export function teacherCheckpointModel(metadata: unknown): TeacherCheckpointModel | null {
  const info = metadata as Partial<ShippedTeacherInfo> | null;
  if (info?.kind === 'talkgrad-vit-teacher') {
    if (!isFashionModelConfig(info.vit) || !Array.isArray(info.classes)) return null;
    const accuracy = typeof info.testAccuracy === 'number' ? `, test accuracy ${(100 * info.testAccuracy).toFixed(1)}% on them` : '';
    return {
      config: info.vit as VitConfig,
      classes: info.classes.length,
      description: `${describeModel(info.vit as VitConfig)}, pre-trained on classes ${info.classes.join(', ')}${accuracy}`,
    };
  }
  if (!isFashionModelConfig(metadata)) return null;
  const classes = 'kind' in metadata && metadata.kind === 'staged-mlp' ? metadata.classes : (metadata as VitConfig).numClasses;
  return { config: metadata, classes, description: describeModel(metadata) };
}

/** Returns a one-line description such as "ViT dim 32, 2 blocks, 2 heads, patch 7" or "MLP 784-64-64-10". */
export function describeModel(config: VitConfig | StagedMlpConfig): string {
  if ('kind' in config && config.kind === 'staged-mlp') {
    return `MLP ${config.inputDim}-${config.hiddenDim}-${config.hiddenDim}-${config.classes}`;
  }
  const vit = config as VitConfig;
  return `ViT dim ${vit.dim}, ${vit.depth} blocks, ${vit.heads} heads, patch ${vit.patchSize}`;
}

/** Returns logits [batch, 10] for images [batch, 1, 28, 28]. */
export function predict(model: DemoModel, images: Tensor): Tensor {
  return model.head(model.upper(model.lower(images)));
}
