import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CIFAR10_CLASSES, parseCifar } from '../../src/data/cifar.js';
import { loadCifar } from '../../src/data/cifar-node.js';
import { Rng } from '../../src/util/rng.js';
import { encodeCifar10, encodeCifar100, randomCifarImages, writeCifar100Folder, writeCifar10Folder } from '../fixtures/cifar.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'talkgrad-cifar-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('parseCifar', () => {
  it('cifar10 round trip', () => {
    const data = randomCifarImages(new Rng(1), 7, 10);
    const parsed = parseCifar(encodeCifar10(data), 'b.bin', { variant: 'cifar10' });
    expect(parsed.n).toBe(7);
    expect(parsed.channels).toBe(3);
    expect(parsed.numClasses).toBe(10);
    expect(parsed.labels).toEqual(data.labels);
    expect(parsed.images).toEqual(data.images);
  });

  it('cifar100 fine labels', () => {
    const rng = new Rng(2);
    const data = randomCifarImages(rng, 5, 100);
    const coarse = Int32Array.from({ length: 5 }, () => rng.int(20));
    const parsed = parseCifar(encodeCifar100(data, coarse), 't.bin', { variant: 'cifar100' });
    expect(parsed.numClasses).toBe(100);
    expect(parsed.labels).toEqual(data.labels);
    expect(parsed.images).toEqual(data.images);
  });

  it('cifar100 coarse labels', () => {
    const rng = new Rng(3);
    const data = randomCifarImages(rng, 5, 100);
    const coarse = Int32Array.from({ length: 5 }, () => rng.int(20));
    const parsed = parseCifar(encodeCifar100(data, coarse), 't.bin', { variant: 'cifar100', labelKind: 'coarse' });
    expect(parsed.numClasses).toBe(20);
    expect(parsed.labels).toEqual(coarse);
  });

  it('length not a record multiple', () => {
    const bytes = encodeCifar10(randomCifarImages(new Rng(4), 3, 10));
    expect(() => parseCifar(bytes.subarray(0, bytes.length - 1), '/c/b.bin', { variant: 'cifar10' })).toThrow(
      'parseCifar: /c/b.bin: length 9218 is not a positive multiple of the 3073-byte cifar10 record',
    );
  });

  it('empty file', () => {
    expect(() => parseCifar(new Uint8Array(0), 'e.bin', { variant: 'cifar100' })).toThrow(/length 0 is not a positive multiple of the 3074-byte/);
  });

  it('cifar10 label out of range', () => {
    const bytes = encodeCifar10(randomCifarImages(new Rng(5), 3, 10));
    bytes[2 * 3073] = 10;
    expect(() => parseCifar(bytes, 'b.bin', { variant: 'cifar10' })).toThrow('record 2 has label 10, outside [0, 10)');
  });

  it('cifar100 coarse out of range', () => {
    const data = randomCifarImages(new Rng(6), 2, 100);
    const bytes = encodeCifar100(data, new Int32Array([3, 20]));
    expect(() => parseCifar(bytes, 't.bin', { variant: 'cifar100' })).toThrow('record 1 has coarse label 20, outside [0, 20)');
  });

  it('cifar10 coarse rejected', () => {
    const bytes = encodeCifar10(randomCifarImages(new Rng(7), 1, 10));
    expect(() => parseCifar(bytes, 'b.bin', { variant: 'cifar10', labelKind: 'coarse' })).toThrow(/no coarse labels/);
  });
});

describe('loadCifar', () => {
  it('cifar10 train concatenates batches', async () => {
    const dir = join(root, 'c10');
    const written = await writeCifar10Folder(dir, { seed: 8, perBatch: 3, test: 2 });
    const train = await loadCifar({ dir, variant: 'cifar10', split: 'train' });
    expect(train.n).toBe(15);
    expect(train.labels.subarray(9, 12)).toEqual(written.batches[3].labels);
    expect(train.images.subarray(12 * 3072)).toEqual(written.batches[4].images);
    expect(train.classNames).toEqual(CIFAR10_CLASSES);
  });

  it('cifar10 archive subfolder', async () => {
    const parent = join(root, 'parent');
    const written = await writeCifar10Folder(join(parent, 'cifar-10-batches-bin'), { seed: 9, perBatch: 1, test: 4 });
    const test = await loadCifar({ dir: parent, variant: 'cifar10', split: 'test' });
    expect(test.labels).toEqual(written.test.labels);
  });

  it('cifar100 class names file', async () => {
    const dir = join(root, 'c100');
    const written = await writeCifar100Folder(dir, { seed: 10, train: 4, test: 3 });
    const names = Array.from({ length: 20 }, (_, i) => `super_${i}`);
    await writeFile(join(dir, 'coarse_label_names.txt'), names.join('\n') + '\n\n');
    const test = await loadCifar({ dir, variant: 'cifar100', split: 'test', labelKind: 'coarse' });
    expect(test.labels).toEqual(written.test.coarse);
    expect(test.classNames).toEqual(names);
  });

  it('class names count checked', async () => {
    const dir = join(root, 'c100-bad-names');
    await writeCifar100Folder(dir, { seed: 11, train: 2, test: 2 });
    await writeFile(join(dir, 'fine_label_names.txt'), 'apple\nbanana\n');
    await expect(loadCifar({ dir, variant: 'cifar100', split: 'train' })).rejects.toThrow(
      /fine_label_names\.txt: 2 class names but the labels have 100 classes/,
    );
  });

  it('missing files', async () => {
    await expect(loadCifar({ dir: join(root, 'none'), variant: 'cifar100', split: 'train' })).rejects.toThrow(
      /train\.bin not found in .*none or .*cifar-100-binary\. Download the binary version \(cifar-100-binary\.tar\.gz\)/,
    );
  });
});
