// Run sizes of the demo. The quick preset (?quick=1) is sized for a software adapter
// such as SwiftShader; the full preset, with ViTs, is meant for a real GPU.

import type { td } from '../../src/index.browser.js';
import type { ModelSize } from './models.js';

export interface DemoConfig {
  name: 'quick' | 'full';
  /** Training examples drawn from the 6,000 of the embedded subset. */
  trainExamples: number;
  /** Test examples (of 1,000) that accuracy is measured on. */
  testExamples: number;
  batchSize: number;
  teacher: ModelSize;
  student: ModelSize;
  /** Reason, shown on the page, for not loading the shipped teacher checkpoint; null loads it. */
  skipShippedTeacher: string | null;
  /** Epochs of the linear probe that replaces a shipped teacher's head for other classes. */
  probeEpochs: number;
  /** Pre-training steps of the teacher when no checkpoint is used. */
  teacherSteps: number;
  /** Training steps of each student. */
  steps: number;
  /** Steps between two points of the loss chart. */
  chartEvery: number;
  /** Steps between two accuracy measurements. */
  evalEvery: number;
  learningRate: number;
  methods: td.MethodName[];
  /** Message dim and encoder/decoder width of the communication modules. */
  messageDim: number;
  communicationHidden: number;
  /**
   * Distillation settings shared by every method (the method is set per run). With
   * TD's default loss weights of 1, small students fell to 13% test accuracy within 30
   * steps, because the consistency and interaction losses outweighed the task loss.
   * Weights of 0.1 kept them at or above the scratch student (measured in Node on lavapipe).
   */
  distill: Partial<td.DistillConfig>;
  /** Matmul shapes [batch, M, K, N] of the kernel benchmark. */
  benchmarkShapes: [number, number, number, number][];
}

export const QUICK: DemoConfig = {
  name: 'quick',
  trainExamples: 1200,
  testExamples: 300,
  batchSize: 32,
  // NOTE: MLPs, not ViTs. On SwiftShader every kernel that gives each row its own
  // 256-thread workgroup (layerNorm, softmax, row sums) costs about 1 ms per row, so one
  // ViT training step on 32 images (544 token rows) took about 9 s.
  skipShippedTeacher:
    'the quick run does not use the shipped ViT teacher, because a ViT step takes seconds on a software adapter',
  probeEpochs: 5,
  teacher: { kind: 'mlp', hiddenDim: 64 },
  student: { kind: 'mlp', hiddenDim: 16 },
  teacherSteps: 60,
  steps: 30,
  chartEvery: 5,
  evalEvery: 10,
  learningRate: 3e-3,
  methods: ['scratch', 'ld', 'td'],
  messageDim: 16,
  communicationHidden: 32,
  distill: { wSC: 0.1, wMC: 0.1, wInteract: 0.1 },
  benchmarkShapes: [
    [1, 64, 64, 64],
    [1, 128, 128, 128],
    [1, 32, 784, 64],
    [8, 16, 32, 16],
  ],
};

export const FULL: DemoConfig = {
  name: 'full',
  trainExamples: 6000,
  testExamples: 1000,
  batchSize: 64,
  skipShippedTeacher: null,
  probeEpochs: 10,
  teacher: { kind: 'vit', patchSize: 7, dim: 32, heads: 4, depth: 4, mlpDim: 64, split: 1 },
  student: { kind: 'vit', patchSize: 7, dim: 32, heads: 2, depth: 2, mlpDim: 64, split: 1 },
  teacherSteps: 800,
  steps: 600,
  chartEvery: 10,
  evalEvery: 100,
  learningRate: 2e-3,
  methods: ['scratch', 'ld', 'fd', 'td'],
  messageDim: 64,
  communicationHidden: 128,
  distill: { wSC: 0.1, wMC: 0.1, wInteract: 0.1 },
  benchmarkShapes: [
    [1, 256, 256, 256],
    [1, 512, 512, 512],
    [1, 1024, 1024, 1024],
    [1, 64, 784, 256],
    [16, 64, 64, 64],
  ],
};

/** Returns the preset that the page's query string selects: QUICK for ?quick=1, FULL otherwise. */
export function configFromUrl(url: URL): DemoConfig {
  const quick = url.searchParams.get('quick');
  return quick !== null && quick !== '0' ? QUICK : FULL;
}
