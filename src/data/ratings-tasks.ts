// Rating subsets for distillation experiments. The pre-training task uses the ratings
// of all genres, and a downstream task only the ratings of movies with one genre.

import { csrRow, type RatingsDataset } from './ratings-dataset.js';

/** Rating indices of each part, each in time order. */
export interface RatingSplits {
  train: Int32Array;
  validation: Int32Array;
  eval: Int32Array;
}

/**
 * Splits the ratings by time. The validation part is the latest `validationFraction` of
 * the training part (default 0.1), so it never predates a training rating, just as the
 * evaluation part never predates a validation rating.
 */
export function ratingSplits(dataset: RatingsDataset, options: { validationFraction?: number } = {}): RatingSplits {
  const validationFraction = options.validationFraction ?? 0.1;
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new Error(`ratingSplits: validationFraction ${validationFraction} must lie in [0, 1)`);
  }

  const numValidation = Math.round(dataset.numTrain * validationFraction);
  const trainEnd = dataset.numTrain - numValidation;
  return {
    train: range(0, trainEnd),
    validation: range(trainEnd, dataset.numTrain),
    eval: range(dataset.numTrain, dataset.numRatings),
  };
}

/** Returns a genre's id, accepting an id or a name from dataset.genreVocab. */
export function genreId(dataset: RatingsDataset, genre: number | string): number {
  const id = typeof genre === 'number' ? genre : dataset.genreVocab.indexOf(genre);
  if (!Number.isInteger(id) || id < 0 || id >= dataset.genreVocab.length) {
    throw new Error(`genreId: unknown genre ${JSON.stringify(genre)}; known: ${dataset.genreVocab.join(', ')}`);
  }
  return id;
}

/** Keeps the rating indices whose movie has the genre, in their given order. */
export function ratingsWithGenre(dataset: RatingsDataset, genre: number | string, indices: Int32Array): Int32Array {
  const id = genreId(dataset, genre);
  return indices.filter((rating) => csrRow(dataset.genres, rating).includes(id));
}

export interface DownstreamGenre {
  genre: number;
  name: string;
  trainRatings: number;
  evalRatings: number;
}

/**
 * Returns the genres with more than `minEvalRatings` ratings in the evaluation part
 * (default 500), densest first. Ties go to the lower genre id.
 */
export function selectDownstreamGenres(dataset: RatingsDataset, options: { minEvalRatings?: number } = {}): DownstreamGenre[] {
  const minEvalRatings = options.minEvalRatings ?? 500;
  const trainCounts = new Int32Array(dataset.genreVocab.length);
  const evalCounts = new Int32Array(dataset.genreVocab.length);

  for (let rating = 0; rating < dataset.numRatings; rating++) {
    const counts = rating < dataset.numTrain ? trainCounts : evalCounts;
    for (const genre of csrRow(dataset.genres, rating)) counts[genre]++;
  }

  return dataset.genreVocab
    .map((name, genre) => ({ genre, name, trainRatings: trainCounts[genre], evalRatings: evalCounts[genre] }))
    .filter((entry) => entry.evalRatings > minEvalRatings)
    .sort((a, b) => b.evalRatings - a.evalRatings || a.genre - b.genre);
}

function range(start: number, end: number): Int32Array {
  return Int32Array.from({ length: end - start }, (_, i) => start + i);
}
