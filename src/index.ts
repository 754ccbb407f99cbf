// Public API of talkgrad.

export { init, destroyDevice, gpu, onDeviceLost, type InitOptions, type Gpu } from './gpu/device.js';
export { flush, sync, submitCount, dispatchCount, bindingStats, setPoolCap, poolStats } from './gpu/runtime.js';
export { profileStep, formatProfile, type StepProfile, type OpTime, type ProfileOptions } from './gpu/profiler.js';
export { Tensor, type DType } from './tensor/tensor.js';
export { tidy, keep } from './tensor/scope.js';
export { noGrad, enableGrad, isGradEnabled, setDetectAnomaly, isAnomalyDetectionEnabled } from './autograd/grad-mode.js';
export { checkAnomalies } from './autograd/anomaly.js';
export { zeroGrad, type BackwardOptions } from './autograd/engine.js';
export { memory, type MemoryInfo } from './memory.js';
export * from './ops/index.js';
export { Rng } from './util/rng.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * from './models/index.js';
export * from './io/checkpoint.js';
export * from './io/hf-vit.js';
export * as td from './td/index.js';
