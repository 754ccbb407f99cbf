// Conversion of image bytes to normalized float input: x = (pixel / 255 - mean) / std,
// with one mean and std per channel.

import type { ImageDataset } from './image-dataset.js';

/** Per-channel mean and standard deviation of pixel / 255. */
export interface Normalization {
  mean: readonly number[];
  std: readonly number[];
}

/**
 * Mean and population standard deviation of the training split of the embedded
 * Fashion-MNIST subset (6,000 images), rounded to 4 digits. computeNormalization
 * reproduces them. The full 60,000-image training set gives about 0.2860 and 0.3530.
 */
export const FASHION_MNIST_SUBSET_NORMALIZATION: Normalization = { mean: [0.2863], std: [0.3534] };

/** Computes the per-channel mean and population standard deviation of pixel / 255. */
export function computeNormalization(dataset: ImageDataset): Normalization {
  const plane = dataset.height * dataset.width;
  const sums = new Float64Array(dataset.channels);
  const squares = new Float64Array(dataset.channels);

  for (let image = 0; image < dataset.n; image++) {
    for (let c = 0; c < dataset.channels; c++) {
      const start = (image * dataset.channels + c) * plane;
      for (let p = start; p < start + plane; p++) {
        const x = dataset.images[p] / 255;
        sums[c] += x;
        squares[c] += x * x;
      }
    }
  }

  const count = dataset.n * plane;
  const mean = Array.from(sums, (sum) => sum / count);
  const std = Array.from(squares, (square, c) => Math.sqrt(Math.max(square / count - mean[c] * mean[c], 0)));
  return { mean, std };
}

/**
 * Returns the images at `indices` (default: all) as normalized floats in
 * [indices.length, channels, height, width] order.
 */
export function normalizeImages(
  dataset: ImageDataset,
  normalization: Normalization,
  indices?: ArrayLike<number>,
): Float32Array {
  const { channels } = dataset;
  if (normalization.mean.length !== channels || normalization.std.length !== channels) {
    throw new Error(
      `normalizeImages: normalization has ${normalization.mean.length} means and ${normalization.std.length} stds ` +
        `but the images have ${channels} channels`,
    );
  }
  if (normalization.std.some((std) => !(std > 0))) {
    throw new Error(`normalizeImages: std [${normalization.std}] must be positive`);
  }

  const plane = dataset.height * dataset.width;
  const count = indices?.length ?? dataset.n;
  const out = new Float32Array(count * channels * plane);

  // Precomputed so the inner loop is one multiply-add: x = pixel * scale - shift.
  const scale = normalization.std.map((std) => 1 / (255 * std));
  const shift = normalization.mean.map((mean, c) => mean / normalization.std[c]);

  for (let i = 0; i < count; i++) {
    const image = indices === undefined ? i : indices[i];
    if (!Number.isInteger(image) || image < 0 || image >= dataset.n) {
      throw new Error(`normalizeImages: index ${image} at position ${i} is outside [0, ${dataset.n})`);
    }
    for (let c = 0; c < channels; c++) {
      const source = (image * channels + c) * plane;
      const target = (i * channels + c) * plane;
      for (let p = 0; p < plane; p++) out[target + p] = dataset.images[source + p] * scale[c] - shift[c];
    }
  }
  return out;
}

/** Returns the labels at `indices`. */
export function gatherLabels(dataset: ImageDataset, indices: ArrayLike<number>): Int32Array {
  const out = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const image = indices[i];
    if (!Number.isInteger(image) || image < 0 || image >= dataset.n) {
      throw new Error(`gatherLabels: index ${image} at position ${i} is outside [0, ${dataset.n})`);
    }
    out[i] = dataset.labels[image];
  }
  return out;
}
