// A small ViT trained briefly on real Fashion-MNIST images (the subset embedded in the
// repository) must classify held-out images well above chance (10%). On lavapipe with
// 2 shared CPU cores, the 128 steps took 29-39 s and reached 64-65% on the 500 test
// images. The assert requires 50% so that rounding differences between adapters cannot fail it.

import { describe, expect, it } from 'vitest';
import { loadFashionMnist } from '../../src/data/fashion-mnist-node.js';
import { FASHION_MNIST_SUBSET_NORMALIZATION, gatherLabels, normalizeImages } from '../../src/data/normalize.js';
import { ViT } from '../../src/models/vit.js';
import { AdamW, cosineDecay } from '../../src/optim/index.js';
import { tensor } from '../../src/ops/create.js';
import { crossEntropy } from '../../src/ops/losses.js';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { tidy } from '../../src/tensor/scope.js';
import { Rng } from '../../src/util/rng.js';

const TRAIN = 2048;
const TEST = 500;
const BATCH = 32;
const EPOCHS = 2;

describe('ViT on Fashion-MNIST', () => {
  it('small ViT beats chance on held-out images', async () => {
    const started = performance.now();
    const { dataset: train } = await loadFashionMnist({ split: 'train', source: 'embedded' });
    const { dataset: test } = await loadFashionMnist({ split: 'test', source: 'embedded' });
    const trainIndices = Array.from({ length: TRAIN }, (_, i) => i);
    const testIndices = Array.from({ length: TEST }, (_, i) => i);
    const trainImages = normalizeImages(train, FASHION_MNIST_SUBSET_NORMALIZATION, trainIndices);
    const trainLabels = gatherLabels(train, trainIndices);
    const pixels = 28 * 28;

    const model = new ViT({ imageSize: 28, channels: 1, patchSize: 7, dim: 32, heads: 4, depth: 2, mlpDim: 64, numClasses: 10, seed: 1 });
    const steps = (EPOCHS * TRAIN) / BATCH;
    const schedule = cosineDecay({ lr: 6e-3, totalSteps: steps, warmupSteps: 5 });
    const optimizer = new AdamW(model.parameters(), { lr: schedule(0), weightDecay: 1e-4 });
    const rng = new Rng(2);

    let step = 0;
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      const order = rng.permutation(TRAIN);
      for (let start = 0; start < TRAIN; start += BATCH) {
        const batch = order.subarray(start, start + BATCH);
        const images = new Float32Array(batch.length * pixels);
        batch.forEach((index, i) => images.set(trainImages.subarray(index * pixels, (index + 1) * pixels), i * pixels));
        optimizer.lr = schedule(step++);
        tidy(() => {
          optimizer.zeroGrad();
          const logits = model.forward(tensor(images, { shape: [batch.length, 1, 28, 28] }));
          crossEntropy(logits, tensor(Int32Array.from(batch, (index) => trainLabels[index]))).backward();
          optimizer.step();
        });
      }
    }

    model.eval();
    const testImages = normalizeImages(test, FASHION_MNIST_SUBSET_NORMALIZATION, testIndices);
    const testLabels = gatherLabels(test, testIndices);
    const logits = await noGrad(() => model.forward(tensor(testImages, { shape: [TEST, 1, 28, 28] }))).data();
    let correct = 0;
    for (let i = 0; i < TEST; i++) {
      const row = logits.subarray(i * 10, (i + 1) * 10);
      if (row.indexOf(Math.max(...row)) === testLabels[i]) correct++;
    }
    const accuracy = correct / TEST;
    console.log(`ViT Fashion-MNIST: accuracy ${(accuracy * 100).toFixed(1)}% on ${TEST} test images (chance 10%), ${steps} steps, ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(accuracy).toBeGreaterThan(0.5);
  });
});
