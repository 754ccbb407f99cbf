// Loads CIFAR-10 or CIFAR-100 from the folder of the binary version, as extracted from
// cifar-10-binary.tar.gz (cifar-10-batches-bin/) or cifar-100-binary.tar.gz (cifar-100-binary/).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { CIFAR10_CLASSES, CIFAR_NUM_CLASSES, parseCifar, parseClassNames, type CifarLabelKind, type CifarVariant } from './cifar.js';
import { isReadable, readFileBytes } from './files-node.js';
import { concatImageDatasets, type ImageDataset } from './image-dataset.js';

const SPLIT_FILES: Record<CifarVariant, Record<'train' | 'test', string[]>> = {
  cifar10: {
    train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
    test: ['test_batch.bin'],
  },
  cifar100: { train: ['train.bin'], test: ['test.bin'] },
};

/** Folder name inside the official archive, which is also searched for inside `dir`. */
const ARCHIVE_FOLDER: Record<CifarVariant, string> = { cifar10: 'cifar-10-batches-bin', cifar100: 'cifar-100-binary' };

const CLASS_NAME_FILES = { cifar10: 'batches.meta.txt', fine: 'fine_label_names.txt', coarse: 'coarse_label_names.txt' };

export interface LoadCifarOptions {
  /** Folder with the .bin files, or its parent holding the archive's folder. */
  dir: string;
  variant: CifarVariant;
  split: 'train' | 'test';
  /** Label set of CIFAR-100 (default 'fine'). */
  labelKind?: CifarLabelKind;
}

/**
 * Loads one split. Class names come from the data set's name file when present.
 * Without it, CIFAR-10 gets the built-in list and CIFAR-100 none.
 */
export async function loadCifar(options: LoadCifarOptions): Promise<ImageDataset> {
  const { variant, split, labelKind = 'fine' } = options;
  const files = SPLIT_FILES[variant]?.[split];
  if (files === undefined) {
    throw new Error(`loadCifar: unknown variant '${String(variant)}' or split '${String(split)}'; use cifar10|cifar100 and train|test`);
  }

  const dir = await findCifarFolder(options.dir, variant, files);
  const classNames = await readClassNames(dir, variant, labelKind);
  const parts: ImageDataset[] = [];
  for (const file of files) {
    const path = join(dir, file);
    parts.push(parseCifar(await readFileBytes(path), path, { variant, labelKind, classNames }));
  }
  return concatImageDatasets(parts);
}

async function findCifarFolder(dir: string, variant: CifarVariant, files: string[]): Promise<string> {
  const candidates = [dir, join(dir, ARCHIVE_FOLDER[variant])];
  for (const candidate of candidates) {
    const present = await Promise.all(files.map((file) => isReadable(join(candidate, file))));
    if (present.every(Boolean)) return candidate;
  }

  const archive = variant === 'cifar10' ? 'cifar-10-binary.tar.gz' : 'cifar-100-binary.tar.gz';
  throw new Error(
    `loadCifar: ${files.join(', ')} not found in ${candidates.join(' or ')}. ` +
      `Download the binary version (${archive}) from https://www.cs.toronto.edu/~kriz/cifar.html, extract it and pass ` +
      'the extracted folder as dir',
  );
}

async function readClassNames(dir: string, variant: CifarVariant, labelKind: CifarLabelKind): Promise<readonly string[] | undefined> {
  const file = variant === 'cifar10' ? CLASS_NAME_FILES.cifar10 : CLASS_NAME_FILES[labelKind];
  const path = join(dir, file);
  if (await isReadable(path)) {
    const names = parseClassNames(await readFile(path, 'utf8'));
    const expected =
      variant === 'cifar10'
        ? CIFAR_NUM_CLASSES.cifar10
        : labelKind === 'fine'
          ? CIFAR_NUM_CLASSES.cifar100Fine
          : CIFAR_NUM_CLASSES.cifar100Coarse;
    if (names.length !== expected) {
      throw new Error(`loadCifar: ${path}: ${names.length} class names but the labels have ${expected} classes; the file is corrupt`);
    }
    return names;
  }
  return variant === 'cifar10' ? CIFAR10_CLASSES : undefined;
}
