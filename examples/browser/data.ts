// Fashion-MNIST over HTTP: the page fetches the gzip-compressed IDX files of the
// embedded subset and decodes them with the same parser that Node uses.

import {
  decodeFashionMnist,
  FASHION_MNIST_FILES,
  FASHION_MNIST_SUBSET_NORMALIZATION,
  normalizeImages,
  tensor,
  type FashionMnistSplit,
  type ImageDataset,
  type Tensor,
  type td,
} from '../../src/index.browser.js';

type Batch = td.DistillBatch<Tensor>;

/** URL of the folder with the embedded subset, relative to the page. */
export const SUBSET_URL = '../../data/fashion-mnist-subset/';

/** Fetches a file as bytes; throws with the URL and the HTTP status when the request fails. */
export async function fetchBytes(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`fetch ${url} failed: ${(error as Error).message}`);
  }
  if (!response.ok) throw new Error(`fetch ${url} failed: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Downloads and decodes one split of the embedded subset. */
export async function loadSplit(split: FashionMnistSplit, baseUrl = SUBSET_URL): Promise<ImageDataset> {
  const names = FASHION_MNIST_FILES[split];
  const [images, labels] = await Promise.all([fetchBytes(baseUrl + names.images), fetchBytes(baseUrl + names.labels)]);
  return decodeFashionMnist(images, labels, names);
}

/** Uploads the examples at `indices` as normalized images [batch, 1, 28, 28] and int32 labels. */
export function makeBatch(dataset: ImageDataset, indices: ArrayLike<number>): Batch {
  const pixels = normalizeImages(dataset, FASHION_MNIST_SUBSET_NORMALIZATION, indices);
  const labels = Int32Array.from({ length: indices.length }, (_, i) => dataset.labels[indices[i]]);
  return {
    x: tensor(pixels, { shape: [indices.length, dataset.channels, dataset.height, dataset.width] }),
    y: tensor(labels, { shape: [indices.length], dtype: 'int32' }),
    index: indices,
  };
}

/** Splits the first `count` examples into batches of at most `batchSize`. */
export function fixedBatches(dataset: ImageDataset, count: number, batchSize: number): Batch[] {
  const batches: Batch[] = [];
  for (let start = 0; start < Math.min(count, dataset.n); start += batchSize) {
    const end = Math.min(start + batchSize, count, dataset.n);
    batches.push(makeBatch(dataset, Int32Array.from({ length: end - start }, (_, i) => start + i)));
  }
  return batches;
}

export function disposeBatches(batches: Batch[]): void {
  for (const batch of batches) {
    batch.x.dispose();
    batch.y.dispose();
  }
}
