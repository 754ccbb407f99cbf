// Loads a MovieLens folder from disk, detecting the release by its file names.

import { join } from 'node:path';

import { isReadable, readFileBytes } from './files-node.js';
import { MOVIELENS_FILES, parseMovieLens, type MovieLensFormat } from './movielens.js';
import { buildRatingsDataset, type BuildRatingsOptions, type RatingsDataset } from './ratings-dataset.js';

export interface LoadMovieLensOptions extends BuildRatingsOptions {
  /** Release to read. By default it is detected from the files in the folder, ml-100k first. */
  format?: MovieLensFormat;
}

/** Returns the release whose two files are in `dir`, or undefined. */
export async function detectMovieLensFormat(dir: string): Promise<MovieLensFormat | undefined> {
  for (const format of Object.keys(MOVIELENS_FILES) as MovieLensFormat[]) {
    const files = MOVIELENS_FILES[format];
    if ((await isReadable(join(dir, files.ratings))) && (await isReadable(join(dir, files.movies)))) return format;
  }
  return undefined;
}

/** Reads and builds the ratings dataset of an ml-100k or ml-latest-small folder. */
export async function loadMovieLens(dir: string, options: LoadMovieLensOptions = {}): Promise<RatingsDataset> {
  const format = options.format ?? (await detectMovieLensFormat(dir));
  const files = format === undefined ? undefined : MOVIELENS_FILES[format];
  if (files === undefined || !(await isReadable(join(dir, files.ratings))) || !(await isReadable(join(dir, files.movies)))) {
    throw new Error(
      `loadMovieLens: ${dir}: MovieLens files not found. The folder must contain u.data and u.item (ml-100k) ` +
        'or ratings.csv and movies.csv (ml-latest-small). The MovieLens license forbids redistribution, so the ' +
        'repository does not include them; download a release from GroupLens (https://grouplens.org/datasets/movielens/) ' +
        'and pass its extracted folder',
    );
  }

  const ratingsPath = join(dir, files.ratings);
  const moviesPath = join(dir, files.movies);
  const data = parseMovieLens(format!, await readFileBytes(ratingsPath), await readFileBytes(moviesPath), {
    ratings: ratingsPath,
    movies: moviesPath,
  });
  return buildRatingsDataset(data, options);
}
