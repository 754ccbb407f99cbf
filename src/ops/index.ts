// Every op, as functions; Tensor methods forward here.

export * from './binary.js';
export * from './create.js';
export * from './elementwise.js';
export * from './matmul.js';
export * from './reduce.js';
export * from './shape-ops.js';
export * from './softmax.js';
