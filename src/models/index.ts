// Models that implement StagedModel, and the communication modules of distillation.

export * from './communication.js';
export * from './mlp-recommender.js';
export type { StagedModel } from './staged.js';
export * from './vit.js';
