// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, Zalando Research): 28x28 grayscale
// images of clothing in 10 classes, stored in the IDX format of MNIST. This file works
// on bytes only, so a browser can pass the bytes of fetched files.

import { gunzipIfCompressed } from './gzip.js';
import type { ImageDataset } from './image-dataset.js';
import { makeIdxDataset, parseIdxImages, parseIdxLabels } from './idx.js';

/** Class names in label order 0..9, as published with the data set. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export type FashionMnistSplit = 'train' | 'test';

/** Standard file names of each split. The test split uses the "t10k" prefix. */
export const FASHION_MNIST_FILES: Readonly<Record<FashionMnistSplit, { images: string; labels: string }>> = {
  train: { images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz' },
  test: { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' },
};

/**
 * Decodes the images and labels files of one split, gzip-compressed or not.
 * The names label error messages.
 */
export async function decodeFashionMnist(
  imagesBytes: Uint8Array,
  labelsBytes: Uint8Array,
  names: { images: string; labels: string },
): Promise<ImageDataset> {
  const images = parseIdxImages(await gunzipIfCompressed(imagesBytes, names.images), names.images);
  const labels = parseIdxLabels(await gunzipIfCompressed(labelsBytes, names.labels), names.labels);

  return makeIdxDataset(images, labels, {
    imagesName: names.images,
    labelsName: names.labels,
    numClasses: FASHION_MNIST_CLASSES.length,
    classNames: FASHION_MNIST_CLASSES,
  });
}
