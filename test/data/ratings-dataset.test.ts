import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadMovieLens } from '../../src/data/movielens-node.js';
import { ML100K_GENRES, type MovieLensData } from '../../src/data/movielens.js';
import { buildRatingsDataset, csrRow, tokenizeTitle, type RatingsDataset } from '../../src/data/ratings-dataset.js';
import { ratingSplits, ratingsWithGenre, selectDownstreamGenres } from '../../src/data/ratings-tasks.js';
import { Rng } from '../../src/util/rng.js';
import { writeMovieLens100k, type MovieLensSample } from '../fixtures/movielens.js';

let root: string;
let sample: MovieLensSample;
let dataset: RatingsDataset;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'talkgrad-ratings-'));
  sample = await writeMovieLens100k(root, { seed: 3, users: 37, movies: 53, ratings: 1203 });
  dataset = await loadMovieLens(root);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// Builds the dataset straight from the sample, with the ratings in a given file order.
function buildFromSample(order: Int32Array): RatingsDataset {
  const pick = <T>(values: T[]): T[] => Array.from(order, (i) => values[i]);
  const data: MovieLensData = {
    format: 'ml-100k',
    ratings: {
      users: pick(sample.ratings.map((r) => r.user)),
      movies: pick(sample.ratings.map((r) => r.movie)),
      ratings: pick(sample.ratings.map((r) => r.rating)),
      timestamps: pick(sample.ratings.map((r) => r.timestamp)),
      lines: Array.from(order, (_, i) => i + 1),
    },
    movies: sample.movies.map((m, i) => ({ id: m.id, title: `${m.title} (${m.year})`, genres: m.genres, line: i + 1 })),
    genreNames: [...ML100K_GENRES],
    ratingsName: 'u.data',
    moviesName: 'u.item',
  };
  return buildRatingsDataset(data);
}

describe('buildRatingsDataset', () => {
  it('train is earliest 90%', () => {
    expect(dataset.numTrain).toBe(Math.round(1203 * 0.9));
  });

  it('eval never predates train', () => {
    const latestTrain = Math.max(...dataset.timestamps.subarray(0, dataset.numTrain));
    const earliestEval = Math.min(...dataset.timestamps.subarray(dataset.numTrain));
    expect(earliestEval).toBeGreaterThanOrEqual(latestTrain);
  });

  it('ties ordered by user then movie', () => {
    let ties = 0;
    for (let r = 1; r < dataset.numRatings; r++) {
      const key = (i: number) => [dataset.timestamps[i], dataset.userIds[dataset.users[i]], dataset.movieIds[dataset.movies[i]]];
      const [t0, u0, m0] = key(r - 1);
      const [t1, u1, m1] = key(r);
      if (t0 === t1) ties++;
      expect(t0 < t1 || (t0 === t1 && (u0 < u1 || (u0 === u1 && m0 < m1)))).toBe(true);
    }
    expect(ties).toBeGreaterThan(0);
  });

  it('file order does not matter', () => {
    const shuffled = buildFromSample(new Rng(4).permutation(sample.ratings.length));
    const identity = buildFromSample(Int32Array.from(sample.ratings, (_, i) => i));
    expect(shuffled.users).toEqual(identity.users);
    expect(shuffled.movies).toEqual(identity.movies);
    expect(shuffled.ratings).toEqual(identity.ratings);
  });

  it('indices are contiguous', () => {
    expect(new Set(dataset.users).size).toBe(dataset.numUsers);
    expect(Math.max(...dataset.users)).toBe(dataset.numUsers - 1);
    expect(Math.max(...dataset.movies)).toBeLessThan(dataset.numMovies);
  });

  it('ratings match source', () => {
    const expected = new Map(sample.ratings.map((r) => [`${r.user}/${r.movie}`, r]));
    for (let r = 0; r < dataset.numRatings; r++) {
      const source = expected.get(`${dataset.userIds[dataset.users[r]]}/${dataset.movieIds[dataset.movies[r]]}`);
      expect(source?.rating).toBe(dataset.ratings[r]);
      expect(source?.timestamp).toBe(dataset.timestamps[r]);
    }
  });

  it('genre bags match movies', () => {
    for (let r = 0; r < dataset.numRatings; r += 7) {
      const movie = sample.movies.find((m) => m.id === dataset.movieIds[dataset.movies[r]])!;
      const names = Array.from(csrRow(dataset.genres, r), (g) => dataset.genreVocab[g]);
      expect(names.sort()).toEqual([...movie.genres].sort());
    }
  });

  it('title bags match tokens', () => {
    for (let r = 0; r < dataset.numRatings; r += 11) {
      const title = dataset.movieTitles[dataset.movies[r]];
      const words = Array.from(csrRow(dataset.titleWords, r), (w) => dataset.titleVocab[w]);
      expect(words).toEqual([...new Set(tokenizeTitle(title))]);
    }
  });

  it('title vocab sorted and unique', () => {
    const sorted = [...new Set(dataset.titleVocab)].sort();
    expect(dataset.titleVocab).toEqual(sorted);
  });

  it('csr offsets cover ids', () => {
    expect(dataset.titleWords.offsets.length).toBe(dataset.numRatings + 1);
    expect(dataset.titleWords.offsets[dataset.numRatings]).toBe(dataset.titleWords.ids.length);
    expect(dataset.genres.offsets[dataset.numRatings]).toBe(dataset.genres.ids.length);
  });

  it('evalFraction out of range', () => {
    expect(() => buildRatingsDataset({ ...emptyData(), format: 'ml-100k' }, { evalFraction: 1 })).toThrow(
      'buildRatingsDataset: evalFraction 1 must lie in (0, 1)',
    );
  });
});

describe('ratingSplits', () => {
  it('validation is latest train part', () => {
    const splits = ratingSplits(dataset, { validationFraction: 0.15 });
    expect(splits.validation.length).toBe(Math.round(dataset.numTrain * 0.15));
    expect(splits.train.length + splits.validation.length).toBe(dataset.numTrain);
    expect(splits.validation[0]).toBe(splits.train[splits.train.length - 1] + 1);
  });

  it('eval is the rest', () => {
    const splits = ratingSplits(dataset);
    expect(splits.eval.length).toBe(dataset.numRatings - dataset.numTrain);
    expect(splits.eval[0]).toBe(dataset.numTrain);
  });
});

describe('genre tasks', () => {
  it('ratingsWithGenre filters', () => {
    const { eval: evalPart } = ratingSplits(dataset);
    const drama = dataset.genreVocab.indexOf('Drama');
    const filtered = ratingsWithGenre(dataset, 'Drama', evalPart);
    const expected = Array.from(evalPart).filter((r) => csrRow(dataset.genres, r).includes(drama));
    expect(Array.from(filtered)).toEqual(expected);
  });

  it('unknown genre name', () => {
    expect(() => ratingsWithGenre(dataset, 'Jazz', new Int32Array(0))).toThrow(/genreId: unknown genre "Jazz"; known: unknown, Action/);
  });

  it('selectDownstreamGenres densest first', () => {
    const genres = selectDownstreamGenres(dataset, { minEvalRatings: 10 });
    expect(genres.length).toBeGreaterThan(1);
    for (let i = 1; i < genres.length; i++) expect(genres[i - 1].evalRatings).toBeGreaterThanOrEqual(genres[i].evalRatings);
  });

  it('selectDownstreamGenres threshold', () => {
    const all = selectDownstreamGenres(dataset, { minEvalRatings: -1 });
    const threshold = all[1].evalRatings;
    const selected = selectDownstreamGenres(dataset, { minEvalRatings: threshold });
    expect(selected.every((g) => g.evalRatings > threshold)).toBe(true);
    expect(selected.length).toBe(all.filter((g) => g.evalRatings > threshold).length);
  });

  it('selectDownstreamGenres counts', () => {
    const [top] = selectDownstreamGenres(dataset, { minEvalRatings: 0 });
    const { train, validation, eval: evalPart } = ratingSplits(dataset);
    expect(top.evalRatings).toBe(ratingsWithGenre(dataset, top.genre, evalPart).length);
    expect(top.trainRatings).toBe(
      ratingsWithGenre(dataset, top.genre, train).length + ratingsWithGenre(dataset, top.genre, validation).length,
    );
  });

  it('default threshold 500', () => {
    expect(selectDownstreamGenres(dataset)).toEqual([]);
  });
});

function emptyData(): MovieLensData {
  return {
    format: 'ml-100k',
    ratings: { users: [1], movies: [1], ratings: [3], timestamps: [1], lines: [1] },
    movies: [{ id: 1, title: 'A (1990)', genres: [], line: 1 }],
    genreNames: [...ML100K_GENRES],
    ratingsName: 'u.data',
    moviesName: 'u.item',
  };
}
