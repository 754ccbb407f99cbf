// Browser entry of talkgrad: the public API of index.ts plus the byte-level data
// helpers that a page needs for files it fetched itself. Nothing reachable from here
// may import a Node-only module: a file ending in -node.ts, a Node built-in or the
// `webgpu` package. scripts/build.ts rejects such an import.

export * from './index.js';
export { EpochSampler, type SamplerState } from './data/batching.js';
export {
  decodeFashionMnist,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_FILES,
  type FashionMnistSplit,
} from './data/fashion-mnist.js';
export { gunzip, gunzipIfCompressed } from './data/gzip.js';
export type { ImageDataset } from './data/image-dataset.js';
export {
  FASHION_MNIST_SUBSET_NORMALIZATION,
  gatherLabels,
  normalizeImages,
  type Normalization,
} from './data/normalize.js';
export { decodeSafetensors, encodeSafetensors, toFloat32, type SafetensorsContents } from './io/safetensors.js';
