// Sizes of the two reference models, shared by the talkgrad, TF.js and PyTorch
// versions (torch_steps.py repeats them, and the parameter counts printed side by
// side show that they agree):
//   mlp: 300-512-256-1 with ReLU, batch 256, mean squared error
//   vit: 16x16x1 images, patch 4 (16 patches + class token = 17 tokens), dim 64,
//        4 heads, 4 pre-LN blocks, MLP 256, 10 classes, batch 64, cross-entropy

/** Batches the steps cycle through, so that inputs change from step to step without an upload in the step. */
export const BATCHES_IN_CYCLE = 4;

export const REFERENCE_SIZES = {
  mlp: { batch: 256, widths: [300, 512, 256, 1] },
  vit: { batch: 64, imageSize: 16, channels: 1, patchSize: 4, dim: 64, heads: 4, depth: 4, mlpDim: 256, numClasses: 10 },
} as const;
