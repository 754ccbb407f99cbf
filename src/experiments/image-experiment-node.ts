// The image experiment: a ViT teacher, and per downstream task a ViT student with
// fewer blocks whose weights start from the teacher's first blocks (its classifier
// starts at zero). Each seed draws its own few labeled and validation images from the
// training split; evaluation uses the test images of the downstream classes.

import { join } from 'node:path';

import type { ImageDataset } from '../data/image-dataset.js';
import type { Normalization } from '../data/normalize.js';
import { ViT } from '../models/vit.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchesOf, disposeBatches, type DownstreamTask, type EvalBatch, type Experiment } from './downstream.js';
import type { ExperimentConfig, ImageTaskConfig } from './experiment-config.js';
import type { RunHooks } from './hooks.js';
import { loadImageSplits, type ImageSplits } from './image-data-node.js';
import { buildImageTask, imageBatch, indicesByClass, type ImageSplitConfig } from './image-task.js';
import { obtainImageTeacher } from './image-teacher-node.js';

/**
 * Builds a student with the teacher's embeddings, first `blocks` blocks and final norm, and a
 * zero classifier for `numClasses` classes. The two models share no storage.
 */
export function studentFromTeacher(teacher: ViT, blocks: number, split: number, numClasses: number, seed: number): ViT {
  if (blocks > teacher.config.depth) {
    throw new Error(`images.student.blocks = ${blocks} exceeds the teacher's depth ${teacher.config.depth}`);
  }
  if (split > blocks) throw new Error(`images.student.split = ${split} exceeds images.student.blocks = ${blocks}`);
  const student = new ViT({ ...teacher.config, depth: blocks, split, numClasses, dropout: 0, seed });
  const teacherState = teacher.stateDict();
  const keys = Object.keys(student.stateDict()).filter((key) => !key.startsWith('classifier.'));
  student.loadStateDict(Object.fromEntries(keys.map((key) => [key, teacherState[key]])), { strict: false });
  return student;
}

function splitConfig(task: ImageTaskConfig, classes: number[]): ImageSplitConfig {
  return { pretrainClasses: [], downstreamClasses: classes, labelsPerClass: task.labelsPerClass, validationPerClass: task.validationPerClass };
}

/** Keeps the first `perClass` images of each class (all when 0), in data set order. */
function limitPerClass(dataset: ImageDataset, perClass: number): number[] {
  const classes = Array.from({ length: dataset.numClasses }, (_, c) => c);
  const kept = [...indicesByClass(dataset, classes).values()].flatMap((indices) => (perClass > 0 ? indices.slice(0, perClass) : indices));
  return kept.sort((a, b) => a - b);
}

interface TaskContext {
  teacher: ViT;
  normalization: Normalization;
  config: ExperimentConfig;
  splits: ImageSplits;
}

function buildTask(spec: ImageTaskConfig, context: TaskContext): DownstreamTask<Tensor> {
  const { teacher, normalization, config, splits } = context;
  const size: [number, number] = typeof teacher.config.imageSize === 'number' ? [teacher.config.imageSize, teacher.config.imageSize] : teacher.config.imageSize;
  if (splits.train.channels !== teacher.config.channels) {
    throw new Error(`image task ${spec.name}: ${spec.dataset} has ${splits.train.channels} channels but the teacher takes ${teacher.config.channels}`);
  }
  const classes = spec.downstreamClasses.length > 0 ? spec.downstreamClasses : Array.from({ length: splits.train.numClasses }, (_, c) => c);
  const overlap = spec.pretrainClasses.filter((c) => classes.includes(c));
  if (overlap.length > 0) throw new Error(`image task ${spec.name}: classes ${JSON.stringify(overlap)} are in both pretrainClasses and downstreamClasses`);

  const upload = (dataset: ImageDataset, indices: ArrayLike<number>): EvalBatch<Tensor> => {
    const { images, labels } = imageBatch(dataset, indices, normalization, size);
    return { x: images, y: labels };
  };
  const eval0 = buildImageTask(splits.train, splits.test, splitConfig(spec, classes), 0).evaluation;
  const evalIndices = limitPerClass(eval0, spec.evaluationPerClass);
  const evaluation = batchesOf(evalIndices, config.training.evalBatchSize, (part) => upload(eval0, part));
  const student = config.images.student;

  return {
    name: spec.name,
    kind: 'classification',
    metricName: 'accuracy',
    higherIsBetter: true,
    numClasses: classes.length,
    evaluation,
    data(seed) {
      const split = buildImageTask(splits.train, splits.test, splitConfig(spec, classes), seed);
      const all = (n: number) => Array.from({ length: n }, (_, i) => i);
      const validation = batchesOf(all(split.validation.n), config.training.evalBatchSize, (part) => upload(split.validation, part));
      return {
        trainSize: split.train.n,
        trainBatch: (indices) => {
          const { x, y } = upload(split.train, indices);
          return { x, y, index: indices };
        },
        trainBatches: () => batchesOf(all(split.train.n), config.training.evalBatchSize, (part) => upload(split.train, part)),
        validation,
        dispose: () => disposeBatches(validation, (x) => x.dispose()),
      };
    },
    createStudent: (seed) => studentFromTeacher(teacher, student.blocks, student.split, classes.length, seed),
    teacherHeadFits: false,
    teacherMetric: null,
    disposeInput: (x) => x.dispose(),
    ckaLabels: (batch) => batch.y.dataInt32(),
    description: {
      data: splits.origin,
      classes,
      classNames: classes.map((c) => splits.train.classNames?.[c] ?? String(c)),
      labelsPerClass: spec.labelsPerClass,
      validationPerClass: spec.validationPerClass,
      evaluationImages: evalIndices.length,
      inputSize: size,
      student: { blocks: student.blocks, split: student.split, dim: teacher.config.dim },
    },
    dispose: () => disposeBatches(evaluation, (x) => x.dispose()),
  };
}

/** Loads the teacher and every image task of the config. */
export async function buildImageExperiment(config: ExperimentConfig, runDir: string, hooks: RunHooks): Promise<Experiment<Tensor>> {
  const teacher = await obtainImageTeacher(config, join(runDir, 'teacher.safetensors'), hooks);
  const loaded = new Map<string, ImageSplits>();
  const tasks: DownstreamTask<Tensor>[] = [];
  try {
    for (const spec of config.images.tasks) {
      const key = JSON.stringify([spec.dataset, spec.dataPath, spec.source]);
      if (!loaded.has(key)) loaded.set(key, await loadImageSplits(spec));
      const splits = loaded.get(key) as ImageSplits;
      hooks.log(`task ${spec.name}: ${splits.origin}`);
      tasks.push(buildTask(spec, { teacher: teacher.model, normalization: teacher.normalization, config, splits }));
    }
  } catch (error) {
    for (const task of tasks) task.dispose();
    teacher.model.dispose();
    throw error;
  }
  return {
    teacher: teacher.model,
    teacherDescription: teacher.description,
    tasks,
    probe: config.images.probe,
    dispose: () => {
      for (const task of tasks) task.dispose();
      teacher.model.dispose();
    },
  };
}
