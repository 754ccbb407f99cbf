import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { saveSafetensors } from '../../src/io/files-node.js';
import { convertHfVit, vitConfigFromHf, type HfVitConfig } from '../../src/io/hf-vit.js';
import { loadHfVitFolder } from '../../src/io/hf-vit-node.js';
import type { SafetensorsTensor } from '../../src/io/safetensors.js';
import { tensor } from '../../src/ops/create.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, randomValues } from '../helpers/check.js';
import { referenceHfVit } from './vit-reference.js';

const HF_CONFIG: HfVitConfig = {
  image_size: 8,
  patch_size: 4,
  num_channels: 3,
  hidden_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 12,
  layer_norm_eps: 1e-12,
  hidden_act: 'gelu',
  qkv_bias: true,
  id2label: { '0': 'cat', '1': 'dog', '2': 'bird' },
};

/** Shapes of a ViTForImageClassification state dict in Hugging Face naming and PyTorch layout. */
function hfShapes(c: HfVitConfig, classes: number): Record<string, number[]> {
  const D = c.hidden_size;
  const T = (c.image_size / c.patch_size) ** 2 + 1;
  const shapes: Record<string, number[]> = {
    'vit.embeddings.cls_token': [1, 1, D],
    'vit.embeddings.position_embeddings': [1, T, D],
    'vit.embeddings.patch_embeddings.projection.weight': [D, c.num_channels, c.patch_size, c.patch_size],
    'vit.embeddings.patch_embeddings.projection.bias': [D],
    'vit.layernorm.weight': [D],
    'vit.layernorm.bias': [D],
    'classifier.weight': [classes, D],
    'classifier.bias': [classes],
  };
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const layer = `vit.encoder.layer.${i}`;
    for (const name of ['attention.attention.query', 'attention.attention.key', 'attention.attention.value', 'attention.output.dense']) {
      shapes[`${layer}.${name}.weight`] = [D, D];
      shapes[`${layer}.${name}.bias`] = [D];
    }
    shapes[`${layer}.intermediate.dense.weight`] = [c.intermediate_size, D];
    shapes[`${layer}.intermediate.dense.bias`] = [c.intermediate_size];
    shapes[`${layer}.output.dense.weight`] = [D, c.intermediate_size];
    shapes[`${layer}.output.dense.bias`] = [D];
    for (const norm of ['layernorm_before', 'layernorm_after']) {
      shapes[`${layer}.${norm}.weight`] = [D];
      shapes[`${layer}.${norm}.bias`] = [D];
    }
  }
  return shapes;
}

function randomCheckpoint(rng: Rng, shapes: Record<string, number[]>): Record<string, SafetensorsTensor> {
  const out: Record<string, SafetensorsTensor> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    out[name] = { dtype: 'F32', shape, data: Float32Array.from(randomValues(shape, rng, -0.7, 0.7)) };
  }
  return out;
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'talkgrad-hf-vit-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Hugging Face ViT loader', () => {
  it('forward matches the float64 reference', async () => {
    const rng = new Rng(1);
    const tensors = randomCheckpoint(rng, hfShapes(HF_CONFIG, 3));
    await saveSafetensors(join(dir, 'model.safetensors'), tensors);
    await writeFile(join(dir, 'config.json'), JSON.stringify(HF_CONFIG));

    const { model, config, hasClassifier, unusedKeys } = await loadHfVitFolder(dir);
    expect(config.numClasses).toBe(3);
    expect(config.eps).toBe(1e-12);
    expect(hasClassifier).toBe(true);
    expect(unusedKeys).toEqual([]);

    const images = randomValues([2, 3, 8, 8], rng);
    const logits = await model.forward(tensor(Float32Array.from(images), { shape: [2, 3, 8, 8] })).data();
    const get = (name: string) => Float64Array.from(tensors[name].data as Float32Array);
    const expected = referenceHfVit(Float64Array.from(Float32Array.from(images)), get, {
      B: 2, C: 3, H: 8, W: 8, P: 4, D: 8, heads: 2, depth: 2, mlp: 12, classes: 3, eps: 1e-12,
    });
    // Two blocks on values of size ~1 in f32: rounding ~1e-5 at most.
    expectAllClose(logits, expected, { rtol: 1e-3, atol: 1e-4 }, 'logits');
  });

  it('ViTModel without classifier or prefix', () => {
    const rng = new Rng(2);
    const shapes = hfShapes(HF_CONFIG, 3);
    const tensors: Record<string, SafetensorsTensor> = {};
    for (const [name, t] of Object.entries(randomCheckpoint(rng, shapes))) {
      if (!name.startsWith('classifier.')) tensors[name.replace(/^vit\./, '')] = t;
    }
    tensors['pooler.dense.weight'] = { dtype: 'F32', shape: [8, 8], data: new Float32Array(64).fill(0.5) };
    const converted = convertHfVit(tensors, vitConfigFromHf(HF_CONFIG));
    expect(converted.hasClassifier).toBe(false);
    expect(converted.unusedKeys).toEqual(['pooler.dense.weight']);
    // The patch kernel [D, C, P, P] becomes [C P P, D]: element (d, c, i, j) moves to row c P^2 + i P + j, column d.
    const kernel = tensors['embeddings.patch_embeddings.projection.weight'].data as Float32Array;
    const ours = converted.stateDict['patchEmbedding.weight'];
    expect(ours.shape).toEqual([48, 8]);
    expect(ours.data[(1 * 16 + 2 * 4 + 3) * 8 + 5]).toBe(kernel[((5 * 3 + 1) * 4 + 2) * 4 + 3]);
  });

  it('missing tensor names the Hugging Face key', () => {
    const tensors = randomCheckpoint(new Rng(3), hfShapes(HF_CONFIG, 3));
    delete tensors['vit.encoder.layer.1.intermediate.dense.bias'];
    expect(() => convertHfVit(tensors, vitConfigFromHf(HF_CONFIG))).toThrow(
      /tensor 'vit.encoder.layer.1.intermediate.dense.bias' is missing from the checkpoint \(needed for 'blocks.1.mlp.dense1.bias'\)/,
    );
  });

  it('rejects an unsupported activation', () => {
    expect(() => vitConfigFromHf({ ...HF_CONFIG, hidden_act: 'relu' })).toThrow(/hidden_act 'relu' is not supported/);
  });
});
