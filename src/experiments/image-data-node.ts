// Loads the training and test splits of an experiment's image data set.
// Fashion-MNIST is searched in: the data path, $TALKGRAD_DATA, Debian's
// /usr/share/datasets/fashion-mnist, then the subset embedded in the repository
// (source 'embedded' goes straight to the subset). CIFAR needs a data path or
// $TALKGRAD_DATA holding the extracted binary version.

import { loadCifar } from '../data/cifar-node.js';
import { loadFashionMnist } from '../data/fashion-mnist-node.js';
import type { ImageDataset } from '../data/image-dataset.js';
import type { ImageDatasetName } from './experiment-config.js';

export interface ImageSource {
  dataset: ImageDatasetName;
  dataPath: string | null;
  source: 'auto' | 'embedded';
}

export interface ImageSplits {
  train: ImageDataset;
  test: ImageDataset;
  /** Origin of the files, for logs and result files. */
  origin: string;
}

const CIFAR_DOWNLOAD: Record<'cifar10' | 'cifar100', string> = {
  cifar10: 'cifar-10-binary.tar.gz',
  cifar100: 'cifar-100-binary.tar.gz',
};

/** Loads both splits of a data set; the error of a missing data set names the file to download. */
export async function loadImageSplits(spec: ImageSource): Promise<ImageSplits> {
  if (spec.dataset === 'fashion-mnist') {
    const options = spec.source === 'embedded' && spec.dataPath === null ? { source: 'embedded' as const } : { dataPath: spec.dataPath ?? undefined };
    const train = await loadFashionMnist({ split: 'train', ...options });
    const test = await loadFashionMnist({ split: 'test', ...options });
    return { train: train.dataset, test: test.dataset, origin: `fashion-mnist from ${train.dir} (${train.source})` };
  }

  const dir = spec.dataPath ?? process.env.TALKGRAD_DATA;
  if (dir === undefined || dir === '') {
    throw new Error(
      `${spec.dataset}: no data folder given. Download the binary version (${CIFAR_DOWNLOAD[spec.dataset]}) from ` +
        'https://www.cs.toronto.edu/~kriz/cifar.html, extract it and pass the folder with --data (or set TALKGRAD_DATA)',
    );
  }
  const train = await loadCifar({ dir, variant: spec.dataset, split: 'train' });
  const test = await loadCifar({ dir, variant: spec.dataset, split: 'test' });
  return { train, test, origin: `${spec.dataset} from ${dir}` };
}
