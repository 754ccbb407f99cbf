// The MLP teacher of the MovieLens experiments, pre-trained on the training ratings of
// every genre. It is saved as safetensors with its config and a fingerprint of the data
// set, so that loading it for another data set is rejected.

import { access } from 'node:fs/promises';

import { noGrad } from '../autograd/grad-mode.js';
import type { RatingsDataset } from '../data/ratings-dataset.js';
import type { RatingSplits } from '../data/ratings-tasks.js';
import { loadModel, readModelCheckpoint, saveModel } from '../io/checkpoint-node.js';
import { MlpRecommender, recommenderBatch, recommenderVocabSizes, type MlpRecommenderConfig, type RecommenderInput } from '../models/mlp-recommender.js';
import { mseLoss } from '../ops/losses.js';
import { evaluatePredictions } from '../td/evaluate.js';
import { regressionTask } from '../td/task.js';
import { batchesOf, disposeBatches, type EvalBatch } from './downstream.js';
import type { ExperimentConfig } from './experiment-config.js';
import type { RunHooks } from './hooks.js';
import { pretrain } from './pretrain.js';

export const MOVIELENS_TEACHER_KIND = 'talkgrad-movielens-teacher';

export interface DataFingerprint {
  format: string;
  numRatings: number;
  numUsers: number;
  numMovies: number;
  numTrain: number;
}

export interface MovieLensTeacherInfo {
  kind: typeof MOVIELENS_TEACHER_KIND;
  model: MlpRecommenderConfig;
  data: DataFingerprint;
  training: { steps: number; batchSize: number; lr: number; seed: number; finalLoss: number };
  validationRmse: number;
  evalRmse: number;
}

export function fingerprint(dataset: RatingsDataset): DataFingerprint {
  const { format, numRatings, numUsers, numMovies, numTrain } = dataset;
  return { format, numRatings, numUsers, numMovies, numTrain };
}

export function disposeRecommenderInput(x: RecommenderInput): void {
  for (const t of [x.users, x.movies, x.titleWords.ids, x.titleWords.offsets, x.genres.ids, x.genres.offsets]) t.dispose();
}

/** Uploads the ratings at `indices` (rating rows of the data set) as evaluation batches. */
export function ratingBatches(dataset: RatingsDataset, indices: Int32Array, batchSize: number): EvalBatch<RecommenderInput>[] {
  return batchesOf(indices, batchSize, (part) => {
    const { input, ratings } = recommenderBatch(dataset, part);
    return { x: input, y: ratings };
  });
}

/** Returns the RMSE of `model` on the ratings at `indices`. */
export async function ratingRmse(model: MlpRecommender, dataset: RatingsDataset, indices: Int32Array, batchSize: number): Promise<number> {
  const batches = ratingBatches(dataset, indices, batchSize);
  try {
    const metrics = await evaluatePredictions((x) => noGrad(() => model.forward(x)), batches, regressionTask);
    return metrics.rmse;
  } finally {
    disposeBatches(batches, disposeRecommenderInput);
  }
}

/** Pre-trains the teacher of config.movielens.teacher on the training ratings of every genre. */
export async function pretrainMovieLensTeacher(
  config: ExperimentConfig,
  dataset: RatingsDataset,
  splits: RatingSplits,
  hooks: RunHooks,
): Promise<{ model: MlpRecommender; info: MovieLensTeacherInfo }> {
  const spec = config.movielens.teacher;
  const modelConfig: MlpRecommenderConfig = {
    ...recommenderVocabSizes(dataset),
    embeddingDims: { ...spec.embeddingDims },
    hidden: [...spec.hidden],
    seed: spec.seed,
  };
  const model = new MlpRecommender(modelConfig);
  const bar = hooks.progress('pretrain teacher', spec.steps);
  const finalLoss = await pretrain({
    model,
    loss: mseLoss,
    batch: (indices) => {
      const { input, ratings } = recommenderBatch(dataset, indices.map((i) => splits.train[i]));
      return { x: input, y: ratings, dispose: () => (disposeRecommenderInput(input), ratings.dispose()) };
    },
    trainSize: splits.train.length,
    batchSize: spec.batchSize,
    steps: spec.steps,
    lr: spec.lr,
    seed: spec.seed,
    onProgress: (step, loss) => bar.update(step, loss),
  });
  bar.stop();

  const batchSize = config.training.evalBatchSize;
  const info: MovieLensTeacherInfo = {
    kind: MOVIELENS_TEACHER_KIND,
    model: modelConfig,
    data: fingerprint(dataset),
    training: { steps: spec.steps, batchSize: spec.batchSize, lr: spec.lr, seed: spec.seed, finalLoss },
    validationRmse: splits.validation.length > 0 ? await ratingRmse(model, dataset, splits.validation, batchSize) : Number.NaN,
    evalRmse: await ratingRmse(model, dataset, splits.eval, batchSize),
  };
  return { model, info };
}

export async function loadMovieLensTeacher(path: string, dataset: RatingsDataset): Promise<{ model: MlpRecommender; info: MovieLensTeacherInfo }> {
  const checkpoint = await readModelCheckpoint(path);
  const info = checkpoint.config as MovieLensTeacherInfo | undefined;
  if (info?.kind !== MOVIELENS_TEACHER_KIND) {
    throw new Error(`${path}: not a MovieLens teacher checkpoint (metadata config.kind is ${JSON.stringify(info?.kind)}, expected '${MOVIELENS_TEACHER_KIND}'); write one with talkgrad pretrain`);
  }
  const expected = JSON.stringify(fingerprint(dataset));
  if (JSON.stringify(info.data) !== expected) {
    throw new Error(`${path}: the teacher was trained on another data set (${JSON.stringify(info.data)}, this one is ${expected}); pre-train a teacher for this data`);
  }
  const model = new MlpRecommender(info.model);
  await loadModel(path, model);
  model.eval();
  return { model, info };
}

/** Returns the checkpoint's teacher, or pre-trains one into `fallbackPath` when no checkpoint is set. */
export async function obtainMovieLensTeacher(
  config: ExperimentConfig,
  dataset: RatingsDataset,
  splits: RatingSplits,
  fallbackPath: string,
  hooks: RunHooks,
): Promise<{ model: MlpRecommender; info: MovieLensTeacherInfo; path: string }> {
  const exists = (p: string) => access(p).then(() => true, () => false);
  const path = config.movielens.teacher.checkpoint ?? fallbackPath;
  if (config.movielens.teacher.checkpoint !== null && !(await exists(path))) {
    throw new Error(`movielens.teacher.checkpoint: ${path} not found. Build it with: talkgrad pretrain --preset <preset> --data <folder> --out ${path}`);
  }
  if (!(await exists(path))) {
    hooks.log(`teacher: no checkpoint yet, pre-training one into ${path}`);
    const { model, info } = await pretrainMovieLensTeacher(config, dataset, splits, hooks);
    await saveModel(path, model, info);
    model.dispose();
  }
  const { model, info } = await loadMovieLensTeacher(path, dataset);
  hooks.log(`teacher: ${path} (MLP ${JSON.stringify(info.model.hidden)}, evaluation RMSE ${info.evalRmse.toFixed(4)})`);
  return { model, info, path };
}
