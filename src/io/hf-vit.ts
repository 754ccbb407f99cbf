// Loads Hugging Face ViT checkpoints (the google/vit-* models, transformers' ViTModel
// and ViTForImageClassification) into this library's ViT. This file is browser-safe,
// and hf-vit-node.ts reads the files.
//
// Hugging Face stores Linear weights in PyTorch's [out, in] layout and the patch
// embedding as a convolution kernel [D, C, P, P]. This library's dense kernels are
// [in, out] and its patch kernel is [C P P, D], so every weight is transposed (the conv
// kernel after flattening to [D, C P P]). Biases, LayerNorms, the class token and the
// position embeddings are copied as they are.

import type { DecodedStateDict } from './checkpoint.js';
import { ViT, type VitConfig } from '../models/vit.js';
import { toFloat32, type SafetensorsTensor } from './safetensors.js';

/** The fields of a Hugging Face ViTConfig (config.json) that the loader reads. */
export interface HfVitConfig {
  image_size: number;
  patch_size: number;
  num_channels: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  /** Default 1e-12 in transformers. */
  layer_norm_eps?: number;
  /** 'gelu' (exact) or one of the tanh approximations 'gelu_new', 'gelu_pytorch_tanh'. Default 'gelu'. */
  hidden_act?: string;
  /** false when the query, key and value projections have no bias. Default true. */
  qkv_bias?: boolean;
  id2label?: Record<string, string>;
  num_labels?: number;
}

/** Builds a ViT config from a Hugging Face config. numClasses defaults to the number of labels. */
export function vitConfigFromHf(hf: HfVitConfig, overrides: Partial<VitConfig> = {}): VitConfig {
  for (const key of ['image_size', 'patch_size', 'num_channels', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size'] as const) {
    if (!Number.isInteger(hf[key]) || hf[key] < 1) throw new Error(`vitConfigFromHf: config field ${key} must be a positive integer, got ${JSON.stringify(hf[key])}`);
  }
  const act = hf.hidden_act ?? 'gelu';
  if (act !== 'gelu' && act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') {
    throw new Error(`vitConfigFromHf: hidden_act '${act}' is not supported. Use 'gelu', 'gelu_new' or 'gelu_pytorch_tanh'`);
  }
  const labels = hf.id2label !== undefined ? Object.keys(hf.id2label).length : hf.num_labels;
  return {
    imageSize: hf.image_size,
    channels: hf.num_channels,
    patchSize: hf.patch_size,
    dim: hf.hidden_size,
    heads: hf.num_attention_heads,
    depth: hf.num_hidden_layers,
    mlpDim: hf.intermediate_size,
    numClasses: labels ?? 2,
    eps: hf.layer_norm_eps ?? 1e-12,
    geluApproximate: act === 'gelu' ? 'none' : 'tanh',
    ...overrides,
  };
}

type Transform = 'copy' | 'transpose' | 'conv';

/** Pairs of (this library's key, Hugging Face key without the "vit." prefix, transform). */
function keyMap(depth: number): [string, string, Transform][] {
  const map: [string, string, Transform][] = [
    ['patchEmbedding.weight', 'embeddings.patch_embeddings.projection.weight', 'conv'],
    ['patchEmbedding.bias', 'embeddings.patch_embeddings.projection.bias', 'copy'],
    ['tokens.classToken', 'embeddings.cls_token', 'copy'],
    ['tokens.positionEmbedding', 'embeddings.position_embeddings', 'copy'],
  ];
  const linear = (ours: string, theirs: string) => {
    map.push([`${ours}.weight`, `${theirs}.weight`, 'transpose'], [`${ours}.bias`, `${theirs}.bias`, 'copy']);
  };
  const norm = (ours: string, theirs: string) => {
    map.push([`${ours}.weight`, `${theirs}.weight`, 'copy'], [`${ours}.bias`, `${theirs}.bias`, 'copy']);
  };
  for (let i = 0; i < depth; i++) {
    const ours = `blocks.${i}`;
    const theirs = `encoder.layer.${i}`;
    norm(`${ours}.norm1`, `${theirs}.layernorm_before`);
    linear(`${ours}.attention.query`, `${theirs}.attention.attention.query`);
    linear(`${ours}.attention.key`, `${theirs}.attention.attention.key`);
    linear(`${ours}.attention.value`, `${theirs}.attention.attention.value`);
    linear(`${ours}.attention.out`, `${theirs}.attention.output.dense`);
    norm(`${ours}.norm2`, `${theirs}.layernorm_after`);
    linear(`${ours}.mlp.dense1`, `${theirs}.intermediate.dense`);
    linear(`${ours}.mlp.dense2`, `${theirs}.output.dense`);
  }
  norm('norm', 'layernorm');
  return map;
}

export interface ConvertedHfVit {
  stateDict: DecodedStateDict;
  /** False for a ViTModel checkpoint without a classifier, which then keeps its initial values. */
  hasClassifier: boolean;
  /** Checkpoint keys that map to nothing here (e.g. the pooler of ViTModel). */
  unusedKeys: string[];
}

/**
 * Converts Hugging Face ViT tensors to this library's state dict for `config`. A
 * missing or misshaped tensor is an error that names its Hugging Face key.
 */
export function convertHfVit(tensors: Record<string, SafetensorsTensor>, config: VitConfig, qkvBias = true): ConvertedHfVit {
  const keys = Object.keys(tensors);
  const prefix = keys.some((key) => key.startsWith('vit.')) ? 'vit.' : '';
  const used = new Set<string>();
  const stateDict: DecodedStateDict = {};

  const entries = keyMap(config.depth).map(([ours, theirs, transform]) => [ours, prefix + theirs, transform] as const);
  const hasClassifier = Object.hasOwn(tensors, 'classifier.weight');
  if (hasClassifier) {
    entries.push(['classifier.weight', 'classifier.weight', 'transpose'], ['classifier.bias', 'classifier.bias', 'copy']);
  }

  for (const [ours, theirs, transform] of entries) {
    const tensor = tensors[theirs];
    if (tensor === undefined) {
      const isQkvBias = /attention\.attention\.(query|key|value)\.bias$/.test(theirs);
      if (isQkvBias && !qkvBias) {
        stateDict[ours] = { shape: [config.dim], data: new Float32Array(config.dim) };
        continue;
      }
      throw new Error(`convertHfVit: tensor '${theirs}' is missing from the checkpoint (needed for '${ours}')`);
    }
    used.add(theirs);
    stateDict[ours] = convert(theirs, tensor, transform);
  }
  return { stateDict, hasClassifier, unusedKeys: keys.filter((key) => !used.has(key)) };
}

function convert(name: string, tensor: SafetensorsTensor, transform: Transform): { shape: number[]; data: Float32Array } {
  const data = toFloat32(tensor);
  if (transform === 'copy') return { shape: [...tensor.shape], data: Float32Array.from(data) };
  const expectedRank = transform === 'conv' ? 4 : 2;
  if (tensor.shape.length !== expectedRank) {
    throw new Error(`convertHfVit: '${name}' has shape [${tensor.shape}], expected rank ${expectedRank}`);
  }
  // [out, in...] flattened to [out, in], then transposed to [in, out].
  const rows = tensor.shape[0];
  const cols = data.length / rows;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  }
  return { shape: [cols, rows], data: out };
}

/**
 * Builds a ViT from a Hugging Face config and loads its tensors. Every parameter except
 * the classifier must be present, and a checkpoint without a classifier keeps the zero head.
 */
export function loadHfVit(
  tensors: Record<string, SafetensorsTensor>,
  hfConfig: HfVitConfig,
  overrides: Partial<VitConfig> = {},
): { model: ViT; config: VitConfig } & Omit<ConvertedHfVit, 'stateDict'> {
  const config = vitConfigFromHf(hfConfig, overrides);
  const converted = convertHfVit(tensors, config, hfConfig.qkv_bias ?? true);
  const model = new ViT(config);
  model.loadStateDict(converted.stateDict, { strict: converted.hasClassifier });
  return { model, config, hasClassifier: converted.hasClassifier, unusedKeys: converted.unusedKeys };
}
