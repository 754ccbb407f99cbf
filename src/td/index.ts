// Talking-model distillation and its baselines, as the `td` namespace of the public API.
// The Node-only heatmap writer lives in cka-heatmap-node.ts and is imported directly.

export * from './config.js';
export * from './distiller.js';
export * from './loss-context.js';
export * from './task.js';
export * from './evaluate.js';
export * from './distance.js';
export * from './state.js';
export * from './teacher-cache.js';
export * from './communication-modules.js';
export * from './checkpoint.js';
export * from './linear-probe.js';
export * from './talking.js';
export * from './baselines.js';
export * from './cka.js';
export * from './cka-report.js';
export * from './cka-heatmap.js';
export * from './cka-collect.js';
