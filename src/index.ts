// Public API of talkgrad.

export { init, destroyDevice, gpu, type InitOptions, type Gpu } from './gpu/device.js';
export { flush, sync, submitCount, setPoolCap } from './gpu/runtime.js';
export { Tensor, type DType } from './tensor/tensor.js';
export { tidy, keep } from './tensor/scope.js';
export { noGrad, enableGrad, setDetectAnomaly } from './autograd/grad-mode.js';
export { memory, type MemoryInfo } from './memory.js';
export * from './ops/index.js';
export { Rng } from './util/rng.js';
