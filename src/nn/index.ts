// Layers and the Module base class, as the `nn` namespace of the public API.

export * from './activations.js';
export * from './init.js';
export * from './linear.js';
export * from './module.js';
export * from './sequential.js';
export * from './embedding.js';
export * from './dropout.js';
export * from './layernorm.js';
export * from './patch-embedding.js';
export * from './attention.js';
export * from './transformer.js';
