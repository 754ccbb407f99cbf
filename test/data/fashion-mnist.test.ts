import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FASHION_MNIST_CLASSES, FASHION_MNIST_FILES } from '../../src/data/fashion-mnist.js';
import { FASHION_MNIST_SYSTEM_DIR, loadFashionMnist } from '../../src/data/fashion-mnist-node.js';
import { isReadable } from '../../src/data/files-node.js';
import { classCounts } from '../../src/data/image-dataset.js';
import { computeNormalization, FASHION_MNIST_SUBSET_NORMALIZATION } from '../../src/data/normalize.js';
import { writeFashionMnistFolder } from '../fixtures/idx.js';

let root: string;
let emptyDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'talkgrad-fashion-'));
  emptyDir = join(root, 'empty');
  await mkdir(emptyDir);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadFashionMnist', () => {
  it('explicit path gzip', async () => {
    const dir = join(root, 'gz');
    const written = await writeFashionMnistFolder(dir, { seed: 2, train: 37, test: 11, height: 6, width: 9 });
    const loaded = await loadFashionMnist({ split: 'test', dataPath: dir });
    expect(loaded.source).toBe('path');
    expect(loaded.dir).toBe(dir);
    expect(loaded.dataset.images).toEqual(written.test.images);
    expect(loaded.dataset.labels).toEqual(written.test.labels);
    expect(loaded.dataset.classNames).toEqual(FASHION_MNIST_CLASSES);
  });

  it('explicit path uncompressed', async () => {
    const dir = join(root, 'raw');
    const written = await writeFashionMnistFolder(dir, { seed: 3, train: 19, test: 3, compress: false });
    const loaded = await loadFashionMnist({ split: 'train', dataPath: dir });
    expect(loaded.dataset.n).toBe(19);
    expect(loaded.dataset.images).toEqual(written.train.images);
  });

  it('explicit path missing files', async () => {
    await expect(loadFashionMnist({ split: 'train', dataPath: join(root, 'nowhere') })).rejects.toThrow(
      /train-images-idx3-ubyte\.gz and train-labels-idx1-ubyte\.gz .*not found\. Looked in:\n {2}- .*nowhere \(dataPath option\)/s,
    );
  });

  it('TALKGRAD_DATA subfolder', async () => {
    const envRoot = join(root, 'env');
    await writeFashionMnistFolder(join(envRoot, 'fashion-mnist'), { seed: 4, train: 12, test: 5 });
    const loaded = await loadFashionMnist({ split: 'test', env: { TALKGRAD_DATA: envRoot }, systemDir: emptyDir });
    expect(loaded.source).toBe('env');
    expect(loaded.dir).toBe(join(envRoot, 'fashion-mnist'));
  });

  it('TALKGRAD_DATA before system', async () => {
    const envRoot = join(root, 'env-flat');
    const systemDir = join(root, 'system');
    await writeFashionMnistFolder(envRoot, { seed: 5, train: 12, test: 5 });
    await writeFashionMnistFolder(systemDir, { seed: 6, train: 12, test: 6 });
    const loaded = await loadFashionMnist({ split: 'test', env: { TALKGRAD_DATA: envRoot }, systemDir });
    expect(loaded.source).toBe('env');
    expect(loaded.dataset.n).toBe(5);
  });

  it('system before embedded', async () => {
    const systemDir = join(root, 'system-only');
    await writeFashionMnistFolder(systemDir, { seed: 7, train: 14, test: 8 });
    const loaded = await loadFashionMnist({ split: 'test', env: {}, systemDir });
    expect(loaded.source).toBe('system');
    expect(loaded.dataset.n).toBe(8);
  });

  it('embedded as last resort', async () => {
    const loaded = await loadFashionMnist({ split: 'test', env: {}, systemDir: join(root, 'no-system') });
    expect(loaded.source).toBe('embedded');
    expect(loaded.dataset.n).toBe(1000);
  });

  it('labels missing skips folder', async () => {
    const partial = join(root, 'partial');
    await writeFashionMnistFolder(partial, { seed: 8, train: 5, test: 5 });
    await rm(join(partial, FASHION_MNIST_FILES.test.labels));
    const loaded = await loadFashionMnist({ split: 'test', env: {}, systemDir: partial });
    expect(loaded.source).toBe('embedded');
  });

  it('corrupt file names path', async () => {
    const dir = join(root, 'corrupt');
    await writeFashionMnistFolder(dir, { seed: 9, train: 5, test: 5 });
    await writeFile(join(dir, FASHION_MNIST_FILES.test.images), new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    await expect(loadFashionMnist({ split: 'test', dataPath: dir })).rejects.toThrow(
      new RegExp(`gunzip: .*corrupt/${FASHION_MNIST_FILES.test.images}: invalid or truncated`),
    );
  });

  it('dataPath with embedded rejected', async () => {
    await expect(loadFashionMnist({ split: 'test', dataPath: root, source: 'embedded' })).rejects.toThrow(/not both/);
  });
});

describe('embedded subset', () => {
  it('train is 600 per class', async () => {
    const loaded = await loadFashionMnist({ split: 'train', source: 'embedded' });
    expect(loaded.source).toBe('embedded');
    expect(loaded.dataset.n).toBe(6000);
    expect(loaded.dataset.height).toBe(28);
    expect(Array.from(classCounts(loaded.dataset.labels, 10))).toEqual(new Array(10).fill(600));
  });

  it('test is 100 per class', async () => {
    const loaded = await loadFashionMnist({ split: 'test', source: 'embedded' });
    expect(Array.from(classCounts(loaded.dataset.labels, 10))).toEqual(new Array(10).fill(100));
  });

  it('normalization constants match', async () => {
    const { dataset } = await loadFashionMnist({ split: 'train', source: 'embedded' });
    const computed = computeNormalization(dataset);
    expect(computed.mean[0]).toBeCloseTo(FASHION_MNIST_SUBSET_NORMALIZATION.mean[0], 4);
    expect(computed.std[0]).toBeCloseTo(FASHION_MNIST_SUBSET_NORMALIZATION.std[0], 4);
  });
});

describe('system package', async () => {
  const installed = await isReadable(join(FASHION_MNIST_SYSTEM_DIR, FASHION_MNIST_FILES.test.images));

  it.skipIf(!installed)('test split from Debian package', async () => {
    const loaded = await loadFashionMnist({ split: 'test', env: {}, systemDir: FASHION_MNIST_SYSTEM_DIR });
    expect(loaded.source).toBe('system');
    expect(loaded.dataset.n).toBe(10000);
    expect(Array.from(classCounts(loaded.dataset.labels, 10))).toEqual(new Array(10).fill(1000));
  });
});

describe('not found message', () => {
  const search = () =>
    loadFashionMnist({
      split: 'train',
      env: { TALKGRAD_DATA: join(root, 'e') },
      systemDir: join(root, 'sys'),
      embeddedDir: join(root, 'emb'),
    });

  it('lists env folders', async () => {
    await expect(search()).rejects.toThrow(`${join(root, 'e', 'fashion-mnist')} ($TALKGRAD_DATA/fashion-mnist)`);
  });

  it('lists system folder', async () => {
    await expect(search()).rejects.toThrow(`${join(root, 'sys')} (Debian package dataset-fashion-mnist)`);
  });

  it('lists embedded folder', async () => {
    await expect(search()).rejects.toThrow(`${join(root, 'emb')} (subset embedded in the repository)`);
  });

  it('says how to get the data', async () => {
    await expect(search()).rejects.toThrow(/apt-get install dataset-fashion-mnist.*github\.com\/zalandoresearch\/fashion-mnist/s);
  });

  it('notes unset TALKGRAD_DATA', async () => {
    await expect(
      loadFashionMnist({ split: 'test', env: {}, systemDir: join(root, 'sys'), embeddedDir: join(root, 'emb') }),
    ).rejects.toThrow('$TALKGRAD_DATA (not set)');
  });
});
