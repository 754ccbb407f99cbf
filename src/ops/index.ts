// Every op, as functions; Tensor methods forward here.

export * from './binary.js';
export * from './create.js';
export * from './elementwise.js';
export * from './matmul.js';
export * from './reduce.js';
export * from './shape-ops.js';
export * from './softmax.js';
export * from './dropout.js';
export * from './embedding.js';
export * from './layernorm.js';
export * from './losses.js';
export * from './optimizer-update.js';
export * from './attention.js';
export {
  clearMatmulTuning,
  matmulTuningMode,
  setMatmulTuning,
  setMatmulTuningStore,
  type MatmulTuningMode,
  type MatmulTuningStore,
  type TunedTiling,
} from './matmul-tuning.js';
export { matmulTuningError, tuneMatmul, type TuneOptions } from './matmul-autotune.js';
