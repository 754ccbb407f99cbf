// The ViT teacher of the image experiments: pre-trained here on some classes of a data
// set and saved as safetensors with its config, or loaded from such a file, or loaded
// from a Hugging Face ViT folder.

import { access } from 'node:fs/promises';

import { noGrad } from '../autograd/grad-mode.js';
import { computeNormalization, type Normalization } from '../data/normalize.js';
import { loadModel, readModelCheckpoint, saveModel } from '../io/checkpoint-node.js';
import { loadHfVitFolder } from '../io/hf-vit-node.js';
import { ViT, type VitConfig } from '../models/vit.js';
import { crossEntropy } from '../ops/losses.js';
import { evaluatePredictions } from '../td/evaluate.js';
import { classificationTask } from '../td/task.js';
import { batchesOf, disposeBatches } from './downstream.js';
import type { ExperimentConfig, ImageDatasetName } from './experiment-config.js';
import type { RunHooks } from './hooks.js';
import { loadImageSplits } from './image-data-node.js';
import { imageBatch, indicesByClass, pickClasses } from './image-task.js';
import { pretrain } from './pretrain.js';

export const IMAGE_TEACHER_KIND = 'talkgrad-vit-teacher';

/** The metadata "config" entry of a teacher checkpoint written by pretrainImageTeacher. */
export interface ImageTeacherInfo {
  kind: typeof IMAGE_TEACHER_KIND;
  vit: VitConfig;
  normalization: Normalization;
  dataset: ImageDatasetName;
  /** Data set classes the teacher predicts, in head order. */
  classes: number[];
  dataOrigin: string;
  training: { steps: number; batchSize: number; lr: number; seed: number; finalLoss: number };
  /** Accuracy on the test images of `classes`. */
  testAccuracy: number;
}

export interface ImageTeacher {
  model: ViT;
  normalization: Normalization;
  /** Source and training facts for logs and result files. */
  description: Record<string, unknown>;
}

/** Pre-trains the teacher of config.images.teacher and returns it with its checkpoint info. */
export async function pretrainImageTeacher(config: ExperimentConfig, hooks: RunHooks): Promise<{ model: ViT; info: ImageTeacherInfo }> {
  const spec = config.images.teacher;
  const splits = await loadImageSplits(spec);
  hooks.log(`teacher data: ${splits.origin}, classes ${JSON.stringify(spec.classes)}`);
  const bad = spec.classes.filter((c) => c >= splits.train.numClasses);
  if (bad.length > 0 || spec.classes.length < 2) {
    throw new Error(`pretrain: images.teacher.classes ${JSON.stringify(spec.classes)} must contain at least 2 classes in [0, ${splits.train.numClasses})`);
  }
  const normalization = computeNormalization(splits.train);
  const pick = (dataset: typeof splits.train) => pickClasses(dataset, spec.classes, [...indicesByClass(dataset, spec.classes).values()].flat().sort((a, b) => a - b));
  const train = pick(splits.train);
  const test = pick(splits.test);

  const vit: VitConfig = {
    imageSize: [train.height, train.width],
    channels: train.channels,
    ...spec.vit,
    numClasses: spec.classes.length,
    seed: spec.seed,
  };
  const model = new ViT(vit);
  const bar = hooks.progress('pretrain teacher', spec.steps);
  const finalLoss = await pretrain({
    model,
    loss: crossEntropy,
    batch: (indices) => {
      const { images, labels } = imageBatch(train, indices, normalization);
      return { x: images, y: labels, dispose: () => (images.dispose(), labels.dispose()) };
    },
    trainSize: train.n,
    batchSize: spec.batchSize,
    steps: spec.steps,
    lr: spec.lr,
    seed: spec.seed,
    onProgress: (step, loss) => bar.update(step, loss),
  });
  bar.stop();

  const batches = batchesOf(Array.from({ length: test.n }, (_, i) => i), config.training.evalBatchSize, (part) => {
    const { images, labels } = imageBatch(test, part, normalization);
    return { x: images, y: labels };
  });
  const metrics = await evaluatePredictions((x) => noGrad(() => model.forward(x)), batches, classificationTask);
  disposeBatches(batches, (x) => x.dispose());

  const info: ImageTeacherInfo = {
    kind: IMAGE_TEACHER_KIND,
    vit,
    normalization,
    dataset: spec.dataset,
    classes: spec.classes,
    dataOrigin: splits.origin,
    training: { steps: spec.steps, batchSize: spec.batchSize, lr: spec.lr, seed: spec.seed, finalLoss },
    testAccuracy: metrics.accuracy,
  };
  return { model, info };
}

export async function saveImageTeacher(path: string, model: ViT, info: ImageTeacherInfo): Promise<void> {
  await saveModel(path, model, info);
}

/** Loads a checkpoint written by saveImageTeacher. */
export async function loadImageTeacher(path: string): Promise<{ model: ViT; info: ImageTeacherInfo }> {
  const checkpoint = await readModelCheckpoint(path);
  const info = checkpoint.config as ImageTeacherInfo | undefined;
  if (info?.kind !== IMAGE_TEACHER_KIND) {
    throw new Error(`${path}: not an image teacher checkpoint (metadata config.kind is ${JSON.stringify(info?.kind)}, expected '${IMAGE_TEACHER_KIND}'); write one with talkgrad pretrain`);
  }
  const model = new ViT(info.vit);
  await loadModel(path, model);
  model.eval();
  return { model, info };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Returns the experiment's teacher: the Hugging Face folder when set, else the
 * checkpoint when set (it must exist), else `fallbackPath`, pre-training it there
 * first when it does not exist yet.
 */
export async function obtainImageTeacher(config: ExperimentConfig, fallbackPath: string, hooks: RunHooks): Promise<ImageTeacher> {
  const spec = config.images.teacher;
  if (spec.huggingFace !== null) {
    if (!(await exists(spec.huggingFace))) {
      throw new Error(
        `images.teacher.huggingFace: folder ${spec.huggingFace} not found. Download config.json and model.safetensors of a ` +
          'Hugging Face ViT (e.g. google/vit-base-patch32-224-in21k) into it',
      );
    }
    const { model, config: vit, hasClassifier } = await loadHfVitFolder(spec.huggingFace, { split: spec.vit.split });
    model.eval();
    // The google/vit-* models normalize each channel with mean 0.5 and std 0.5.
    const normalization = { mean: Array(vit.channels).fill(0.5), std: Array(vit.channels).fill(0.5) };
    hooks.log(`teacher: Hugging Face ViT from ${spec.huggingFace} (depth ${vit.depth}, dim ${vit.dim}, split ${vit.split})`);
    return { model, normalization, description: { source: `huggingFace ${spec.huggingFace}`, vit, hasClassifier } };
  }

  const path = spec.checkpoint ?? fallbackPath;
  if (spec.checkpoint !== null && !(await exists(path))) {
    throw new Error(`images.teacher.checkpoint: ${path} not found. Rebuild it with: talkgrad pretrain --preset <preset> --out ${path}`);
  }
  if (!(await exists(path))) {
    hooks.log(`teacher: no checkpoint yet, pre-training one into ${path}`);
    const { model, info } = await pretrainImageTeacher(config, hooks);
    await saveImageTeacher(path, model, info);
    hooks.log(`teacher: saved ${path} (test accuracy on its ${info.classes.length} classes ${info.testAccuracy.toFixed(4)})`);
  }
  const { model, info } = await loadImageTeacher(path);
  hooks.log(`teacher: ${path} (ViT depth ${info.vit.depth}, dim ${info.vit.dim}, classes ${JSON.stringify(info.classes)}, test accuracy ${info.testAccuracy.toFixed(4)})`);
  const { normalization, ...rest } = info;
  return { model, normalization, description: { source: path, ...rest } };
}
