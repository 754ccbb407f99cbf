// The in-memory form shared by every image classification data set (IDX, CIFAR).

/** Images with integer class labels, kept as raw bytes until a batch is normalized. */
export interface ImageDataset {
  /** Pixels 0..255 in [n, channels, height, width] order (channel planes, row-major). */
  images: Uint8Array;
  /** Class index per image, in [0, numClasses). */
  labels: Int32Array;
  n: number;
  channels: number;
  height: number;
  width: number;
  numClasses: number;
  classNames?: readonly string[];
}

/**
 * Checks that `labels` lie in [0, numClasses) and returns the first bad index, or -1.
 */
export function findLabelOutOfRange(labels: Int32Array, numClasses: number): number {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0 || labels[i] >= numClasses) return i;
  }
  return -1;
}

/** Counts the images of each class. */
export function classCounts(labels: Int32Array, numClasses: number): Int32Array {
  const counts = new Int32Array(numClasses);
  for (const label of labels) counts[label]++;
  return counts;
}

/** Returns a new data set with the images at `indices`, in that order. */
export function selectImages(dataset: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const pixelsPerImage = dataset.channels * dataset.height * dataset.width;
  const images = new Uint8Array(indices.length * pixelsPerImage);
  const labels = new Int32Array(indices.length);

  for (let i = 0; i < indices.length; i++) {
    const source = indices[i];
    if (!Number.isInteger(source) || source < 0 || source >= dataset.n) {
      throw new Error(`selectImages: index ${source} at position ${i} is outside [0, ${dataset.n})`);
    }
    images.set(dataset.images.subarray(source * pixelsPerImage, (source + 1) * pixelsPerImage), i * pixelsPerImage);
    labels[i] = dataset.labels[source];
  }

  return { ...dataset, images, labels, n: indices.length };
}

/** Concatenates data sets of the same image shape and classes. */
export function concatImageDatasets(parts: readonly ImageDataset[]): ImageDataset {
  if (parts.length === 0) throw new Error('concatImageDatasets: no data sets given');
  const first = parts[0];
  const n = parts.reduce((total, part) => total + part.n, 0);
  const images = new Uint8Array(n * first.channels * first.height * first.width);
  const labels = new Int32Array(n);

  let offset = 0;
  for (const part of parts) {
    if (part.channels !== first.channels || part.height !== first.height || part.width !== first.width || part.numClasses !== first.numClasses) {
      throw new Error(
        `concatImageDatasets: shape ${part.channels}x${part.height}x${part.width} with ${part.numClasses} classes differs from ` +
          `${first.channels}x${first.height}x${first.width} with ${first.numClasses} classes`,
      );
    }
    images.set(part.images, offset * first.channels * first.height * first.width);
    labels.set(part.labels, offset);
    offset += part.n;
  }
  return { ...first, images, labels, n };
}
