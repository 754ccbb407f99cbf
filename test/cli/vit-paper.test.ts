// The vit-paper preset end to end on stand-ins: a tiny random ViT in Hugging Face's
// layout (without a classifier, like the in21k models) and a random CIFAR-10 folder.
// The 32x32 images are resized to the teacher's 8x8 input, and LD uses a linear probe.

import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { saveSafetensors } from '../../src/io/files-node.js';
import type { SafetensorsTensor } from '../../src/io/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { writeCifar10Folder } from '../fixtures/cifar.js';
import { runCli, writeConfig } from './helpers.js';

const HIDDEN = 8;
const MLP = 12;
const TOKENS = (8 / 4) ** 2 + 1;

/** Random ViTModel tensors (Hugging Face names, PyTorch [out, in] layout) for 8x8 RGB input, 4x4 patches, 2 layers. */
function randomViTModel(rng: Rng): Record<string, SafetensorsTensor> {
  const shapes: Record<string, number[]> = {
    'embeddings.cls_token': [1, 1, HIDDEN],
    'embeddings.position_embeddings': [1, TOKENS, HIDDEN],
    'embeddings.patch_embeddings.projection.weight': [HIDDEN, 3, 4, 4],
    'embeddings.patch_embeddings.projection.bias': [HIDDEN],
    'layernorm.weight': [HIDDEN],
    'layernorm.bias': [HIDDEN],
  };
  for (let i = 0; i < 2; i++) {
    const layer = `encoder.layer.${i}`;
    for (const name of ['attention.attention.query', 'attention.attention.key', 'attention.attention.value', 'attention.output.dense']) {
      shapes[`${layer}.${name}.weight`] = [HIDDEN, HIDDEN];
      shapes[`${layer}.${name}.bias`] = [HIDDEN];
    }
    shapes[`${layer}.intermediate.dense.weight`] = [MLP, HIDDEN];
    shapes[`${layer}.intermediate.dense.bias`] = [MLP];
    shapes[`${layer}.output.dense.weight`] = [HIDDEN, MLP];
    shapes[`${layer}.output.dense.bias`] = [HIDDEN];
    for (const norm of ['layernorm_before', 'layernorm_after']) {
      shapes[`${layer}.${norm}.weight`] = [HIDDEN];
      shapes[`${layer}.${norm}.bias`] = [HIDDEN];
    }
  }
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const size = shape.reduce((a, b) => a * b, 1);
    tensors[name] = { dtype: 'F32', shape, data: Float32Array.from({ length: size }, () => 0.4 * rng.normal()) };
  }
  return tensors;
}

let dir: string;
let run: { code: number | null; stdout: string; stderr: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'talkgrad-vit-paper-'));
  const vit = join(dir, 'vit');
  await writeCifar10Folder(join(dir, 'cifar-10-batches-bin'), { seed: 3, perBatch: 12, test: 30 });
  await mkdir(vit, { recursive: true });
  await saveSafetensors(join(vit, 'model.safetensors'), randomViTModel(new Rng(5)));
  const hfConfig = { image_size: 8, patch_size: 4, num_channels: 3, hidden_size: HIDDEN, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: MLP };
  await writeFile(join(vit, 'config.json'), JSON.stringify(hfConfig));

  const overrides = await writeConfig(dir, 'tiny.json', {
    seeds: [0],
    methods: ['scratch', 'ld', 'td'],
    ablations: [],
    training: { steps: 2, batchSize: 4, evalEvery: 1, checkpointEvery: 1, evalBatchSize: 16 },
    distill: { messageDim: 6, hiddenDim: 10 },
    images: {
      tasks: [{ name: 'cifar10', dataset: 'cifar10', labelsPerClass: 2, validationPerClass: 2 }],
      teacher: { huggingFace: vit, vit: { patchSize: 4, dim: HIDDEN, heads: 2, depth: 2, mlpDim: MLP, split: 1 } },
      student: { blocks: 1, split: 1 },
      probe: { epochs: 2 },
    },
    cka: { examplesPerClass: 2 },
  });
  run = await runCli(['compare', '--preset', 'vit-paper', '--config', overrides, '--data', dir, '--out', join(dir, 'run')]);
});

describe('talkgrad compare --preset vit-paper', () => {
  it('exits with 0', () => {
    expect(run.stderr).not.toMatch(/error:|: failed:/);
    expect(run.code).toBe(0);
  });

  it('loads the Hugging Face teacher', () => {
    expect(run.stderr).toContain(`teacher: Hugging Face ViT from ${join(dir, 'vit')} (depth 2, dim 8, split 1)`);
  });

  it('resizes to the teacher input', async () => {
    const tasks = JSON.parse(await readFile(join(dir, 'run', 'tasks.json'), 'utf8'));
    expect(tasks.tasks[0].description.inputSize).toEqual([8, 8]);
  });

  it('uses every CIFAR-10 class', async () => {
    const tasks = JSON.parse(await readFile(join(dir, 'run', 'tasks.json'), 'utf8'));
    expect(tasks.tasks[0].description.classes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(tasks.tasks[0].description.evaluationImages).toBe(30);
  });

  it('runs every cell', async () => {
    expect((await readdir(join(dir, 'run', 'cells'))).sort()).toEqual(['cifar10__ld__seed0.json', 'cifar10__scratch__seed0.json', 'cifar10__td__seed0.json']);
  });

  it('notes the linear probe of LD', async () => {
    const cell = JSON.parse(await readFile(join(dir, 'run', 'cells', 'cifar10__ld__seed0.json'), 'utf8'));
    expect(cell.notes[0]).toMatch(/^LD teacher head: linear probe on e_h \(first token pooling, 2 epochs/);
  });
});
