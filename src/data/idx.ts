// The IDX format of MNIST and Fashion-MNIST: a big-endian header followed by raw
// unsigned bytes. The magic number is two zero bytes, a type code (0x08 = ubyte) and
// the number of dimensions, then one u32 size per dimension.
//   images: 0x00000803, n, rows, cols, then n*rows*cols pixels
//   labels: 0x00000801, n, then n labels

import { isGzip } from './gzip.js';
import { findLabelOutOfRange, type ImageDataset } from './image-dataset.js';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

/** Images decoded from an IDX file, one channel. */
export interface IdxImages {
  images: Uint8Array;
  n: number;
  height: number;
  width: number;
}

/** Parses an uncompressed IDX image file (magic 0x00000803). `name` labels errors. */
export function parseIdxImages(bytes: Uint8Array, name: string): IdxImages {
  const header = readIdxHeader(bytes, name, IDX_IMAGES_MAGIC, 'images', 'parseIdxImages');
  const [n, height, width] = header.dims;
  if (height === 0 || width === 0) {
    throw new Error(`parseIdxImages: ${name}: image size ${height}x${width} is empty; the file is not an image set`);
  }

  checkPayloadLength(bytes, name, header.payloadOffset, n * height * width, 'parseIdxImages');
  const images = bytes.slice(header.payloadOffset);
  return { images, n, height, width };
}

/** Parses an uncompressed IDX label file (magic 0x00000801) into one class index per item. */
export function parseIdxLabels(bytes: Uint8Array, name: string): Int32Array {
  const header = readIdxHeader(bytes, name, IDX_LABELS_MAGIC, 'labels', 'parseIdxLabels');
  const [n] = header.dims;

  checkPayloadLength(bytes, name, header.payloadOffset, n, 'parseIdxLabels');
  return Int32Array.from(bytes.subarray(header.payloadOffset));
}

/**
 * Joins parsed IDX images and labels into one data set. Rejects a count mismatch
 * and labels outside [0, numClasses).
 */
export function makeIdxDataset(
  images: IdxImages,
  labels: Int32Array,
  options: { imagesName: string; labelsName: string; numClasses: number; classNames?: readonly string[] },
): ImageDataset {
  if (images.n !== labels.length) {
    throw new Error(
      `makeIdxDataset: ${options.imagesName} has ${images.n} images but ${options.labelsName} has ${labels.length} labels; ` +
        'use the images and labels files of the same split',
    );
  }

  const bad = findLabelOutOfRange(labels, options.numClasses);
  if (bad >= 0) {
    throw new Error(
      `makeIdxDataset: ${options.labelsName}: label ${labels[bad]} at item ${bad} is outside [0, ${options.numClasses})`,
    );
  }

  return {
    images: images.images,
    labels,
    n: images.n,
    channels: 1,
    height: images.height,
    width: images.width,
    numClasses: options.numClasses,
    classNames: options.classNames,
  };
}

/** Encodes images (n*height*width bytes) as an uncompressed IDX image file. */
export function encodeIdxImages(images: Uint8Array, n: number, height: number, width: number): Uint8Array {
  if (images.length !== n * height * width) {
    throw new Error(`encodeIdxImages: ${images.length} bytes do not match ${n} images of ${height}x${width}`);
  }
  return encodeIdx(IDX_IMAGES_MAGIC, [n, height, width], images);
}

/** Encodes labels 0..255 as an uncompressed IDX label file. */
export function encodeIdxLabels(labels: ArrayLike<number>): Uint8Array {
  const payload = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label > 255) {
      throw new Error(`encodeIdxLabels: label ${label} at item ${i} does not fit in an unsigned byte`);
    }
    payload[i] = label;
  }
  return encodeIdx(IDX_LABELS_MAGIC, [labels.length], payload);
}

function encodeIdx(magic: number, dims: number[], payload: Uint8Array): Uint8Array {
  const headerLength = 4 + 4 * dims.length;
  const out = new Uint8Array(headerLength + payload.length);
  const view = new DataView(out.buffer);

  view.setUint32(0, magic, false);
  dims.forEach((size, i) => view.setUint32(4 + 4 * i, size, false));
  out.set(payload, headerLength);
  return out;
}

interface IdxHeader {
  dims: number[];
  payloadOffset: number;
}

function readIdxHeader(bytes: Uint8Array, name: string, magic: number, kind: string, caller: string): IdxHeader {
  if (isGzip(bytes)) {
    throw new Error(`${caller}: ${name}: the data is gzip-compressed; decompress it first with gunzipIfCompressed()`);
  }

  const ndim = magic & 0xff;
  const headerLength = 4 + 4 * ndim;
  if (bytes.length < headerLength) {
    throw new Error(
      `${caller}: ${name}: file has ${bytes.length} bytes, shorter than the ${headerLength}-byte IDX ${kind} header; ` +
        'the file is truncated or empty',
    );
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0, false);
  if (found !== magic) {
    throw new Error(
      `${caller}: ${name}: bad magic number ${hex32(found)} (expected ${hex32(magic)} for ${kind}); ` +
        `check that the file is an uncompressed IDX ${kind} file`,
    );
  }

  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  return { dims, payloadOffset: headerLength };
}

function checkPayloadLength(bytes: Uint8Array, name: string, offset: number, expected: number, caller: string): void {
  const actual = bytes.length - offset;
  if (actual < expected) {
    throw new Error(
      `${caller}: ${name}: truncated file: header promises ${expected} data bytes but only ${actual} follow; ` +
        'download the file again',
    );
  }
  if (actual > expected) {
    throw new Error(
      `${caller}: ${name}: ${actual - expected} extra bytes after the ${expected} data bytes the header promises; ` +
        'the header or the file is corrupt',
    );
  }
}

function hex32(value: number): string {
  return '0x' + value.toString(16).padStart(8, '0');
}
