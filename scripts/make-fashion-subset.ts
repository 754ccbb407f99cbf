// Writes the Fashion-MNIST subset embedded in data/fashion-mnist-subset/ from the files
// of Debian's dataset-fashion-mnist package:
//   npx tsx scripts/make-fashion-subset.ts [sourceDir] [outDir]
// Train: 600 images per class from the train split (seed 2017). Test: 100 images per
// class from the t10k split (seed 2018). stratifiedSubset documents the selection rule.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { FASHION_MNIST_FILES, type FashionMnistSplit } from '../src/data/fashion-mnist.js';
import { FASHION_MNIST_EMBEDDED_DIR, FASHION_MNIST_SYSTEM_DIR, loadFashionMnist } from '../src/data/fashion-mnist-node.js';
import { gzip } from '../src/data/gzip.js';
import { classCounts, selectImages } from '../src/data/image-dataset.js';
import { encodeIdxImages, encodeIdxLabels } from '../src/data/idx.js';
import { stratifiedSubset } from '../src/data/subset.js';
import { writeFileAtomic } from '../src/io/files-node.js';
import { Rng } from '../src/util/rng.js';

const SUBSET_PLAN: { split: FashionMnistSplit; perClass: number; seed: number }[] = [
  { split: 'train', perClass: 600, seed: 2017 },
  { split: 'test', perClass: 100, seed: 2018 },
];

async function main(): Promise<void> {
  const sourceDir = process.argv[2] ?? FASHION_MNIST_SYSTEM_DIR;
  const outDir = process.argv[3] ?? FASHION_MNIST_EMBEDDED_DIR;
  await mkdir(outDir, { recursive: true });

  for (const { split, perClass, seed } of SUBSET_PLAN) {
    const { dataset } = await loadFashionMnist({ split, dataPath: sourceDir });
    const indices = stratifiedSubset(dataset.labels, perClass, new Rng(seed), dataset.numClasses);
    const subset = selectImages(dataset, indices);

    const files = FASHION_MNIST_FILES[split];
    const images = encodeIdxImages(subset.images, subset.n, subset.height, subset.width);
    await writeFileAtomic(join(outDir, files.images), await gzip(images));
    await writeFileAtomic(join(outDir, files.labels), await gzip(encodeIdxLabels(subset.labels)));

    const counts = Array.from(classCounts(subset.labels, subset.numClasses)).join(' ');
    console.log(`${split}: ${subset.n} of ${dataset.n} images from ${sourceDir} (per class: ${counts}) -> ${outDir}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
