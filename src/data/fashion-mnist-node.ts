// Finds and loads Fashion-MNIST from disk. Search order without an explicit path:
// $TALKGRAD_DATA/fashion-mnist, $TALKGRAD_DATA, the folder of Debian's
// dataset-fashion-mnist package, then the subset embedded in this repository.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { decodeFashionMnist, FASHION_MNIST_FILES, type FashionMnistSplit } from './fashion-mnist.js';
import { findFirstFile, readFileBytes } from './files-node.js';
import type { ImageDataset } from './image-dataset.js';

/** Folder where Debian's dataset-fashion-mnist package installs the four files. */
export const FASHION_MNIST_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';

/** Subset of 6,000 training and 1,000 test images shipped with the repository. */
export const FASHION_MNIST_EMBEDDED_DIR = fileURLToPath(new URL('../../data/fashion-mnist-subset/', import.meta.url));

/** Origin of the loaded files: the dataPath option, TALKGRAD_DATA, the Debian package or the embedded subset. */
export type FashionMnistSource = 'path' | 'env' | 'system' | 'embedded';

export interface LoadFashionMnistOptions {
  split: FashionMnistSplit;
  /** Folder with the files. When set, no other place is searched. */
  dataPath?: string;
  /** 'embedded' loads the subset in the repository and searches nowhere else. Default 'auto'. */
  source?: 'auto' | 'embedded';
  /** Environment that TALKGRAD_DATA is read from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Folder of the Debian package (default FASHION_MNIST_SYSTEM_DIR). */
  systemDir?: string;
  /** Folder of the embedded subset (default FASHION_MNIST_EMBEDDED_DIR). */
  embeddedDir?: string;
}

export interface LoadedFashionMnist {
  dataset: ImageDataset;
  source: FashionMnistSource;
  /** Folder the files were read from. */
  dir: string;
}

interface Candidate {
  source: FashionMnistSource;
  dir: string;
  label: string;
}

/**
 * Loads one split of Fashion-MNIST from the first place that has both of its files.
 * Each file may be gzip-compressed (standard .gz name) or not (name without .gz).
 */
export async function loadFashionMnist(options: LoadFashionMnistOptions): Promise<LoadedFashionMnist> {
  const files = FASHION_MNIST_FILES[options.split];
  if (files === undefined) {
    throw new Error(`loadFashionMnist: unknown split '${String(options.split)}'; use 'train' or 'test'`);
  }
  if (options.dataPath !== undefined && options.source === 'embedded') {
    throw new Error("loadFashionMnist: pass either dataPath or source: 'embedded', not both");
  }

  const candidates = listCandidates(options);
  for (const candidate of candidates) {
    const imagesPath = await findFirstFile(candidate.dir, [files.images, files.images.replace(/\.gz$/, '')]);
    const labelsPath = await findFirstFile(candidate.dir, [files.labels, files.labels.replace(/\.gz$/, '')]);
    if (imagesPath === undefined || labelsPath === undefined) continue;

    const dataset = await decodeFashionMnist(await readFileBytes(imagesPath), await readFileBytes(labelsPath), {
      images: imagesPath,
      labels: labelsPath,
    });
    return { dataset, source: candidate.source, dir: candidate.dir };
  }

  throw new Error(notFoundMessage(options, candidates));
}

function listCandidates(options: LoadFashionMnistOptions): Candidate[] {
  if (options.dataPath !== undefined) {
    return [{ source: 'path', dir: options.dataPath, label: 'dataPath option' }];
  }
  const embeddedDir = options.embeddedDir ?? FASHION_MNIST_EMBEDDED_DIR;
  const embedded: Candidate = { source: 'embedded', dir: embeddedDir, label: 'subset embedded in the repository' };
  if (options.source === 'embedded') return [embedded];

  const candidates: Candidate[] = [];
  const envRoot = (options.env ?? process.env).TALKGRAD_DATA;
  if (envRoot !== undefined && envRoot !== '') {
    candidates.push({ source: 'env', dir: join(envRoot, 'fashion-mnist'), label: '$TALKGRAD_DATA/fashion-mnist' });
    candidates.push({ source: 'env', dir: envRoot, label: '$TALKGRAD_DATA' });
  }
  const systemDir = options.systemDir ?? FASHION_MNIST_SYSTEM_DIR;
  candidates.push({ source: 'system', dir: systemDir, label: 'Debian package dataset-fashion-mnist' });
  candidates.push(embedded);
  return candidates;
}

function notFoundMessage(options: LoadFashionMnistOptions, candidates: Candidate[]): string {
  const files = FASHION_MNIST_FILES[options.split];
  const places = candidates.map((c) => `  - ${c.dir} (${c.label})`);
  if (options.dataPath === undefined && options.source !== 'embedded') {
    const envRoot = (options.env ?? process.env).TALKGRAD_DATA;
    if (envRoot === undefined || envRoot === '') places.unshift('  - $TALKGRAD_DATA (not set)');
  }

  return [
    `loadFashionMnist: Fashion-MNIST ${options.split} files ${files.images} and ${files.labels} ` +
      '(or the same names without .gz) not found. Looked in:',
    ...places,
    'To get the data, install the Debian package (apt-get install dataset-fashion-mnist), or download the four ' +
      'files from https://github.com/zalandoresearch/fashion-mnist into a folder and pass it as dataPath or in ' +
      "TALKGRAD_DATA. The repository's subset lives in data/fashion-mnist-subset (source: 'embedded').",
  ].join('\n');
}
