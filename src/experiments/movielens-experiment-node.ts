// The MovieLens experiment: an MLP teacher trained on the ratings of every genre, and
// one downstream task per dense genre, where an MLP student learns from the ratings of
// that genre only. Ratings are split by time: training, then validation (the latest
// part of training), then evaluation; the split is the same for every seed.

import { join } from 'node:path';

import { loadMovieLens } from '../data/movielens-node.js';
import type { RatingsDataset } from '../data/ratings-dataset.js';
import { ratingSplits, ratingsWithGenre, selectDownstreamGenres, type DownstreamGenre, type RatingSplits } from '../data/ratings-tasks.js';
import { MlpRecommender, recommenderBatch, recommenderVocabSizes, type RecommenderInput } from '../models/mlp-recommender.js';
import { disposeBatches, type DownstreamTask, type Experiment } from './downstream.js';
import type { ExperimentConfig } from './experiment-config.js';
import type { RunHooks } from './hooks.js';
import { disposeRecommenderInput, obtainMovieLensTeacher, ratingBatches, ratingRmse } from './movielens-teacher-node.js';

/** Loads the data set of config.movielens; the error names the files to download. */
export async function loadMovieLensData(config: ExperimentConfig): Promise<{ dataset: RatingsDataset; splits: RatingSplits }> {
  const { dataPath, evalFraction, validationFraction } = config.movielens;
  if (dataPath === null) {
    throw new Error(
      'movielens: no data folder given. Pass --data <folder> with u.data and u.item (ml-100k) or ratings.csv and movies.csv ' +
        '(ml-latest-small), downloaded from GroupLens (https://grouplens.org/datasets/movielens/)',
    );
  }
  const dataset = await loadMovieLens(dataPath, { evalFraction });
  return { dataset, splits: ratingSplits(dataset, { validationFraction }) };
}

/** Returns the downstream genres of the config: more evaluation ratings than minEvalRatings, densest first, at most maxGenres. */
export function downstreamGenres(config: ExperimentConfig, dataset: RatingsDataset): DownstreamGenre[] {
  const { minEvalRatings, maxGenres } = config.movielens;
  const genres = selectDownstreamGenres(dataset, { minEvalRatings });
  if (genres.length === 0) {
    throw new Error(`movielens: no genre has more than ${minEvalRatings} evaluation ratings; lower movielens.minEvalRatings`);
  }
  return maxGenres > 0 ? genres.slice(0, maxGenres) : genres;
}

function buildGenreTask(
  genre: DownstreamGenre,
  dataset: RatingsDataset,
  splits: RatingSplits,
  config: ExperimentConfig,
  teacherRmse: number,
): DownstreamTask<RecommenderInput> {
  const batchSize = config.training.evalBatchSize;
  const train = ratingsWithGenre(dataset, genre.genre, splits.train);
  const validationRows = ratingsWithGenre(dataset, genre.genre, splits.validation);
  const evalRows = ratingsWithGenre(dataset, genre.genre, splits.eval);
  if (train.length === 0 || validationRows.length === 0) {
    throw new Error(`movielens genre ${genre.name}: ${train.length} training and ${validationRows.length} validation ratings; both must be > 0`);
  }
  const evaluation = ratingBatches(dataset, evalRows, batchSize);
  const student = config.movielens.student;

  return {
    name: `genre-${genre.name.replace(/[^A-Za-z0-9_.-]/g, '-')}`,
    kind: 'regression',
    metricName: 'rmse',
    higherIsBetter: false,
    numClasses: 1,
    evaluation,
    data() {
      const validation = ratingBatches(dataset, validationRows, batchSize);
      return {
        trainSize: train.length,
        trainBatch: (indices) => {
          const { input, ratings } = recommenderBatch(dataset, indices.map((i) => train[i]));
          return { x: input, y: ratings, index: indices };
        },
        trainBatches: () => ratingBatches(dataset, train, batchSize),
        validation,
        dispose: () => disposeBatches(validation, disposeRecommenderInput),
      };
    },
    createStudent: (seed) =>
      new MlpRecommender({ ...recommenderVocabSizes(dataset), embeddingDims: { ...student.embeddingDims }, hidden: [...student.hidden], seed }),
    teacherHeadFits: true,
    teacherMetric: teacherRmse,
    disposeInput: disposeRecommenderInput,
    // CKA classes are the ratings rounded to whole stars.
    ckaLabels: async (batch) => Int32Array.from(await batch.y.data(), (r) => Math.round(r)),
    description: {
      genre: genre.name,
      trainRatings: train.length,
      validationRatings: validationRows.length,
      evaluationRatings: evalRows.length,
      student: { embeddingDims: student.embeddingDims, hidden: student.hidden },
    },
    dispose: () => disposeBatches(evaluation, disposeRecommenderInput),
  };
}

/** Loads the data set, the teacher (pre-training it into the run folder when needed) and the genre tasks. */
export async function buildMovieLensExperiment(config: ExperimentConfig, runDir: string, hooks: RunHooks): Promise<Experiment<RecommenderInput>> {
  const { dataset, splits } = await loadMovieLensData(config);
  hooks.log(
    `movielens: ${dataset.format} from ${config.movielens.dataPath}: ${dataset.numRatings} ratings, ${splits.train.length} training, ` +
      `${splits.validation.length} validation, ${splits.eval.length} evaluation (split by time)`,
  );
  const genres = downstreamGenres(config, dataset);
  hooks.log(`movielens: downstream genres ${genres.map((g) => `${g.name} (${g.evalRatings} evaluation ratings)`).join(', ')}`);
  const teacher = await obtainMovieLensTeacher(config, dataset, splits, join(runDir, 'teacher.safetensors'), hooks);

  const tasks: DownstreamTask<RecommenderInput>[] = [];
  for (const genre of genres) {
    const evalRows = ratingsWithGenre(dataset, genre.genre, splits.eval);
    const teacherRmse = await ratingRmse(teacher.model, dataset, evalRows, config.training.evalBatchSize);
    tasks.push(buildGenreTask(genre, dataset, splits, config, teacherRmse));
  }
  const info = teacher.info;
  return {
    teacher: teacher.model,
    teacherDescription: { source: teacher.path, ...info, model: { hidden: info.model.hidden, embeddingDims: info.model.embeddingDims } },
    tasks,
    probe: { epochs: 1, lr: 1e-2, tokenPooling: 'first' },
    dispose: () => {
      for (const task of tasks) task.dispose();
      teacher.model.dispose();
    },
  };
}
