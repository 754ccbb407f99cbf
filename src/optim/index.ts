// Optimizers, gradient clipping and learning-rate schedules, as the `optim` namespace of the public API.

export * from './adam.js';
export * from './clip.js';
export * from './optimizer.js';
export * from './schedules.js';
export * from './sgd.js';
