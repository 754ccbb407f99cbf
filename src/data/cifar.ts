// The binary version of CIFAR-10 and CIFAR-100 (Krizhevsky 2009): fixed-size records of
// label bytes followed by a 32x32 RGB image as three 1024-byte planes (red, green, blue),
// each plane row-major.
//   CIFAR-10 record:  label, 3072 pixels           (3073 bytes)
//   CIFAR-100 record: coarse label, fine label, 3072 pixels (3074 bytes)

import type { ImageDataset } from './image-dataset.js';

export type CifarVariant = 'cifar10' | 'cifar100';
export type CifarLabelKind = 'fine' | 'coarse';

/** CIFAR-10 class names in label order, as in the data set's batches.meta.txt. */
export const CIFAR10_CLASSES: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

export const CIFAR_IMAGE_BYTES = 3 * 32 * 32;

/** Number of classes of each label set. */
export const CIFAR_NUM_CLASSES = { cifar10: 10, cifar100Fine: 100, cifar100Coarse: 20 } as const;

export interface ParseCifarOptions {
  variant: CifarVariant;
  /** CIFAR-100 only: the 100 fine classes (default) or the 20 coarse superclasses. */
  labelKind?: CifarLabelKind;
  classNames?: readonly string[];
}

/** Returns the record size in bytes of a variant. */
export function cifarRecordBytes(variant: CifarVariant): number {
  return (variant === 'cifar10' ? 1 : 2) + CIFAR_IMAGE_BYTES;
}

/** Parses one CIFAR binary batch file. `name` labels errors. */
export function parseCifar(bytes: Uint8Array, name: string, options: ParseCifarOptions): ImageDataset {
  const { variant, labelKind = 'fine' } = options;
  if (variant !== 'cifar10' && variant !== 'cifar100') {
    throw new Error(`parseCifar: ${name}: unknown variant '${String(variant)}'; use 'cifar10' or 'cifar100'`);
  }
  if (variant === 'cifar10' && labelKind === 'coarse') {
    throw new Error(`parseCifar: ${name}: CIFAR-10 has no coarse labels; drop labelKind or use variant 'cifar100'`);
  }

  const recordBytes = cifarRecordBytes(variant);
  if (bytes.length === 0 || bytes.length % recordBytes !== 0) {
    throw new Error(
      `parseCifar: ${name}: length ${bytes.length} is not a positive multiple of the ${recordBytes}-byte ${variant} record; ` +
        `the file is truncated or of the other variant`,
    );
  }

  const n = bytes.length / recordBytes;
  const labelBytes = recordBytes - CIFAR_IMAGE_BYTES;
  const images = new Uint8Array(n * CIFAR_IMAGE_BYTES);
  const labels = new Int32Array(n);
  // Byte 0 is the only label of CIFAR-10 and the coarse label of CIFAR-100.
  const limits = variant === 'cifar10' ? [CIFAR_NUM_CLASSES.cifar10] : [CIFAR_NUM_CLASSES.cifar100Coarse, CIFAR_NUM_CLASSES.cifar100Fine];
  const labelByte = variant === 'cifar100' && labelKind === 'fine' ? 1 : 0;

  for (let record = 0; record < n; record++) {
    const start = record * recordBytes;
    for (let k = 0; k < labelBytes; k++) {
      const value = bytes[start + k];
      if (value >= limits[k]) {
        let labelName = 'label';
        if (variant === 'cifar100') labelName = k === 0 ? 'coarse label' : 'fine label';
        throw new Error(`parseCifar: ${name}: record ${record} has ${labelName} ${value}, outside [0, ${limits[k]}); the file is corrupt or of the other variant`);
      }
    }
    labels[record] = bytes[start + labelByte];
    images.set(bytes.subarray(start + labelBytes, start + recordBytes), record * CIFAR_IMAGE_BYTES);
  }

  const numClasses = limits[labelByte];
  return { images, labels, n, channels: 3, height: 32, width: 32, numClasses, classNames: options.classNames };
}

/** Parses a class-name file of the data set: one name per line, blank lines ignored. */
export function parseClassNames(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
