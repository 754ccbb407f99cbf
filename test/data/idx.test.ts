import { describe, expect, it } from 'vitest';

import { gunzip, gunzipIfCompressed, gzip, isGzip } from '../../src/data/gzip.js';
import { encodeIdxImages, encodeIdxLabels, makeIdxDataset, parseIdxImages, parseIdxLabels } from '../../src/data/idx.js';
import { Rng } from '../../src/util/rng.js';
import { randomImageDataset } from '../fixtures/idx.js';

function sample(seed: number, n = 13, height = 7, width = 5) {
  return randomImageDataset(new Rng(seed), { n, height, width, numClasses: 10 });
}

describe('gzip', () => {
  it('gzip round trip', async () => {
    const bytes = sample(1).images;
    const compressed = await gzip(bytes);
    expect(isGzip(compressed)).toBe(true);
    expect(await gunzip(compressed, 'x.gz')).toEqual(bytes);
  });

  it('gunzipIfCompressed passes plain bytes', async () => {
    const bytes = sample(2).images;
    expect(isGzip(bytes)).toBe(false);
    expect(await gunzipIfCompressed(bytes, 'x')).toBe(bytes);
  });

  it('gunzip truncated data', async () => {
    const compressed = await gzip(sample(3).images);
    await expect(gunzip(compressed.subarray(0, compressed.length - 9), '/d/x.gz')).rejects.toThrow(
      /gunzip: \/d\/x\.gz: invalid or truncated gzip data/,
    );
  });

  it('gunzip corrupt data', async () => {
    const compressed = await gzip(sample(4).images);
    compressed[compressed.length - 6] ^= 0xff; // inside the CRC-32 trailer
    await expect(gunzip(compressed, 'bad.gz')).rejects.toThrow(/bad\.gz: invalid or truncated/);
  });
});

describe('parseIdxImages', () => {
  it('round trip awkward size', () => {
    const data = sample(5, 17, 9, 11);
    const parsed = parseIdxImages(encodeIdxImages(data.images, 17, 9, 11), 'x');
    expect(parsed.n).toBe(17);
    expect(parsed.height).toBe(9);
    expect(parsed.width).toBe(11);
    expect(parsed.images).toEqual(data.images);
  });

  it('header is big-endian', () => {
    const bytes = encodeIdxImages(sample(6, 3, 2, 300).images, 3, 2, 300);
    expect(Array.from(bytes.subarray(0, 16))).toEqual([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 1, 44]);
  });

  it('bad magic number', () => {
    const bytes = encodeIdxLabels([1, 2, 3]);
    const padded = new Uint8Array(16 + 3);
    padded.set(bytes);
    expect(() => parseIdxImages(padded, '/p/x')).toThrow(
      'parseIdxImages: /p/x: bad magic number 0x00000801 (expected 0x00000803 for images)',
    );
  });

  it('zero bytes magic', () => {
    expect(() => parseIdxImages(new Uint8Array(32), '/p/x.gz')).toThrow(/bad magic number 0x00000000 \(expected 0x00000803/);
  });

  it('truncated header', () => {
    expect(() => parseIdxImages(new Uint8Array([0, 0, 8, 3, 0]), 'x')).toThrow(/5 bytes, shorter than the 16-byte IDX images header/);
  });

  it('truncated pixels', () => {
    const bytes = encodeIdxImages(sample(7).images, 13, 7, 5);
    expect(() => parseIdxImages(bytes.subarray(0, bytes.length - 1), 'x')).toThrow(
      /truncated file: header promises 455 data bytes but only 454 follow/,
    );
  });

  it('extra bytes', () => {
    const bytes = encodeIdxImages(sample(8).images, 13, 7, 5);
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expect(() => parseIdxImages(longer, 'x')).toThrow(/3 extra bytes after the 455 data bytes/);
  });

  it('gzip data rejected with hint', async () => {
    const compressed = await gzip(encodeIdxImages(sample(9).images, 13, 7, 5));
    expect(() => parseIdxImages(compressed, 'x.gz')).toThrow(/gzip-compressed; decompress it first/);
  });
});

describe('parseIdxLabels', () => {
  it('round trip', () => {
    const labels = sample(10, 23).labels;
    expect(parseIdxLabels(encodeIdxLabels(labels), 'x')).toEqual(labels);
  });

  it('bad magic number', () => {
    const images = encodeIdxImages(sample(11, 1, 1, 1).images, 1, 1, 1);
    expect(() => parseIdxLabels(images, 'l')).toThrow('bad magic number 0x00000803 (expected 0x00000801 for labels)');
  });

  it('truncated labels', () => {
    const bytes = encodeIdxLabels([3, 1, 4, 1, 5]);
    expect(() => parseIdxLabels(bytes.subarray(0, 11), 'l')).toThrow(/header promises 5 data bytes but only 3 follow/);
  });
});

describe('makeIdxDataset', () => {
  it('count mismatch', () => {
    const data = sample(12);
    const images = parseIdxImages(encodeIdxImages(data.images, 13, 7, 5), 'img');
    expect(() =>
      makeIdxDataset(images, data.labels.subarray(0, 12), { imagesName: 'img', labelsName: 'lab', numClasses: 10 }),
    ).toThrow('makeIdxDataset: img has 13 images but lab has 12 labels');
  });

  it('label out of range', () => {
    const data = sample(13);
    const labels = data.labels.slice();
    labels[4] = 10;
    const images = parseIdxImages(encodeIdxImages(data.images, 13, 7, 5), 'img');
    expect(() => makeIdxDataset(images, labels, { imagesName: 'img', labelsName: 'lab', numClasses: 10 })).toThrow(
      'lab: label 10 at item 4 is outside [0, 10)',
    );
  });

  it('single channel shape', () => {
    const data = sample(14);
    const images = parseIdxImages(encodeIdxImages(data.images, 13, 7, 5), 'img');
    const dataset = makeIdxDataset(images, data.labels, { imagesName: 'img', labelsName: 'lab', numClasses: 10 });
    expect(dataset.channels).toBe(1);
    expect(dataset.labels).toEqual(data.labels);
  });
});
