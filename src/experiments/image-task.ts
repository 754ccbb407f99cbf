// The image distillation task: the teacher is pre-trained on one set of classes and
// the student learns a different set of classes from few labels.
//
// Default split of Fashion-MNIST: the teacher is trained on classes 0-4 (T-shirt/top, Trouser,
// Pullover, Dress, Coat); the downstream task is classes 5-9 (Sandal, Shirt, Sneaker,
// Bag, Ankle boot) with a few labels per class. The teacher's head cannot predict the
// downstream labels, but its features (edges, shapes, textures of clothing) transfer,
// which mirrors the setup of Zhao et al. (2023): an ImageNet-21k teacher and CIFAR students.

import type { ImageDataset } from '../data/image-dataset.js';
import { selectImages } from '../data/image-dataset.js';
import { normalizeImages, type Normalization } from '../data/normalize.js';
import { tensor } from '../ops/create.js';
import type { Tensor } from '../tensor/tensor.js';
import { Rng } from '../util/rng.js';
import { resizeBilinear } from './image-resize.js';

export interface ImageSplitConfig {
  pretrainClasses: number[];
  downstreamClasses: number[];
  /** Labeled training images per downstream class. */
  labelsPerClass: number;
  /** Validation images per downstream class, carved from the training split (never from the evaluation split). */
  validationPerClass: number;
}

export interface ImageTask {
  /** Teacher pre-training data, labels remapped to 0 .. pretrainClasses.length - 1. */
  pretrain: ImageDataset;
  /** Downstream training, validation and evaluation data, labels remapped to 0 .. downstreamClasses.length - 1. */
  train: ImageDataset;
  validation: ImageDataset;
  evaluation: ImageDataset;
  classNames: string[];
}

/** Remaps the labels of the images whose class is in `classes` to their position in `classes`. */
export function pickClasses(dataset: ImageDataset, classes: number[], indices: number[]): ImageDataset {
  const picked = selectImages(dataset, indices);
  const labels = Int32Array.from(picked.labels, (c) => classes.indexOf(c));
  const classNames = classes.map((c) => dataset.classNames?.[c] ?? String(c));
  return { ...picked, labels, numClasses: classes.length, classNames };
}

export function indicesByClass(dataset: ImageDataset, classes: number[]): Map<number, number[]> {
  const byClass = new Map<number, number[]>(classes.map((c) => [c, []]));
  for (let i = 0; i < dataset.n; i++) byClass.get(dataset.labels[i])?.push(i);
  return byClass;
}

/**
 * Splits the training and test sets into the pre-training set and the downstream
 * train/validation/evaluation sets. The choice of labeled and validation images is
 * seeded by `seed`; the evaluation set is every test image of the downstream classes.
 */
export function buildImageTask(trainSet: ImageDataset, testSet: ImageDataset, config: ImageSplitConfig, seed: number): ImageTask {
  const overlap = config.pretrainClasses.filter((c) => config.downstreamClasses.includes(c));
  if (overlap.length > 0) {
    throw new Error(`image task: classes ${JSON.stringify(overlap)} are in both pretrainClasses and downstreamClasses`);
  }
  for (const c of [...config.pretrainClasses, ...config.downstreamClasses]) {
    if (!Number.isInteger(c) || c < 0 || c >= trainSet.numClasses) {
      throw new Error(`image task: class ${c} is outside [0, ${trainSet.numClasses})`);
    }
  }

  const pretrainIndices = [...indicesByClass(trainSet, config.pretrainClasses).values()].flat().sort((a, b) => a - b);
  const rng = new Rng(seed);
  const trainIndices: number[] = [];
  const validationIndices: number[] = [];
  for (const [c, indices] of indicesByClass(trainSet, config.downstreamClasses)) {
    const needed = config.labelsPerClass + config.validationPerClass;
    if (indices.length < needed) {
      throw new Error(
        `image task: class ${c} has ${indices.length} training images, fewer than labelsPerClass + validationPerClass = ${needed}`,
      );
    }
    const shuffled = rng.shuffle(indices.slice());
    trainIndices.push(...shuffled.slice(0, config.labelsPerClass));
    validationIndices.push(...shuffled.slice(config.labelsPerClass, needed));
  }
  const evaluationIndices = [...indicesByClass(testSet, config.downstreamClasses).values()].flat().sort((a, b) => a - b);

  return {
    pretrain: pickClasses(trainSet, config.pretrainClasses, pretrainIndices),
    train: pickClasses(trainSet, config.downstreamClasses, trainIndices),
    validation: pickClasses(trainSet, config.downstreamClasses, validationIndices),
    evaluation: pickClasses(testSet, config.downstreamClasses, evaluationIndices),
    classNames: config.downstreamClasses.map((c) => trainSet.classNames?.[c] ?? String(c)),
  };
}

export interface ImageBatch {
  /** Normalized pixels [batch, channels, height, width]. */
  images: Tensor;
  /** Class ids [batch], int32. */
  labels: Tensor;
}

/**
 * Uploads the images at `indices` as a normalized batch. With `size` different from
 * the data set's, the images are resized bilinearly (e.g. to a ViT's input size).
 */
export function imageBatch(dataset: ImageDataset, indices: ArrayLike<number>, normalization: Normalization, size?: [number, number]): ImageBatch {
  let pixels = normalizeImages(dataset, normalization, indices);
  const [height, width] = size ?? [dataset.height, dataset.width];
  if (height !== dataset.height || width !== dataset.width) {
    pixels = resizeBilinear(pixels, { n: indices.length, channels: dataset.channels, height: dataset.height, width: dataset.width }, height, width);
  }
  const labels = Int32Array.from({ length: indices.length }, (_, i) => dataset.labels[indices[i]]);
  return {
    images: tensor(pixels, { shape: [indices.length, dataset.channels, height, width] }),
    labels: tensor(labels, { shape: [indices.length], dtype: 'int32' }),
  };
}
