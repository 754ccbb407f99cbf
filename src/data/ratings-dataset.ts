// The training form of a MovieLens release: contiguous user and movie indices, title
// words and genres as vocabularies, every rating's bags in CSR form, and a time split.

import type { MovieLensData, MovieLensFormat } from './movielens.js';

/** Variable-length lists in compressed sparse row form: list i is ids[offsets[i] .. offsets[i+1]). */
export interface Csr {
  offsets: Int32Array;
  ids: Int32Array;
}

export interface RatingsDataset {
  format: MovieLensFormat;
  numUsers: number;
  numMovies: number;
  numRatings: number;
  /** Original id of each user index. Users are indexed in ascending id order. */
  userIds: Int32Array;
  /** Original id of each movie index. Movies of the movies file are indexed in ascending id order. */
  movieIds: Int32Array;
  movieTitles: string[];
  /** Title words, sorted. Ids in the title bags index this list. */
  titleVocab: string[];
  genreVocab: string[];
  /** Per movie: each distinct title word once, in title order. */
  movieTitleWords: Csr;
  /** Per movie: genre ids in vocabulary order. */
  movieGenres: Csr;

  // Per rating, sorted by timestamp, ties broken by original user id, then movie id.
  users: Int32Array;
  movies: Int32Array;
  ratings: Float32Array;
  /** Seconds since 1970-01-01 UTC. */
  timestamps: Float64Array;
  titleWords: Csr;
  genres: Csr;

  /** Ratings [0, numTrain) are the training part, [numTrain, numRatings) the evaluation part. */
  numTrain: number;
}

export interface BuildRatingsOptions {
  /** Fraction of the ratings, the latest by time, kept for evaluation. Default 0.1. */
  evalFraction?: number;
}

/**
 * Splits a movie title into lowercase words of letters and digits, after dropping a
 * trailing release year such as "(1995)".
 */
export function tokenizeTitle(title: string): string[] {
  const withoutYear = title.replace(/\s*\(\d{4}\)\s*$/, '');
  return withoutYear.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Builds the dataset. Rejects duplicate movie ids and ratings of movies that the
 * movies file does not list, naming the file and line.
 */
export function buildRatingsDataset(data: MovieLensData, options: BuildRatingsOptions = {}): RatingsDataset {
  const evalFraction = options.evalFraction ?? 0.1;
  if (!(evalFraction > 0 && evalFraction < 1)) {
    throw new Error(`buildRatingsDataset: evalFraction ${evalFraction} must lie in (0, 1)`);
  }

  const movieTable = indexMovies(data);
  const movieIndex = new Map<number, number>();
  movieTable.forEach((movie, index) => movieIndex.set(movie.id, index));

  const { users: rawUsers, movies: rawMovies } = data.ratings;
  const numRatings = rawUsers.length;
  for (let r = 0; r < numRatings; r++) {
    if (!movieIndex.has(rawMovies[r])) {
      throw new Error(
        `buildRatingsDataset: ${data.ratingsName}:${data.ratings.lines[r]}: movie id ${rawMovies[r]} is not listed in ${data.moviesName}`,
      );
    }
  }

  const userIds = Int32Array.from(new Set(rawUsers)).sort();
  const userIndex = new Map<number, number>();
  userIds.forEach((id, index) => userIndex.set(id, index));

  const titleWordLists = movieTable.map((movie) => [...new Set(tokenizeTitle(movie.title))]);
  const titleVocab = [...new Set(titleWordLists.flat())].sort();
  const titleIndex = new Map(titleVocab.map((word, index) => [word, index]));
  const movieTitleWords = toCsr(titleWordLists.map((words) => words.map((word) => titleIndex.get(word)!)));

  const genreVocab = [...data.genreNames];
  const genreIndex = new Map(genreVocab.map((genre, index) => [genre, index]));
  const movieGenres = toCsr(
    movieTable.map((movie) => [...new Set(movie.genres)].map((genre) => genreIndex.get(genre)!).sort((a, b) => a - b)),
  );

  const order = timeOrder(data);
  const users = new Int32Array(numRatings);
  const movies = new Int32Array(numRatings);
  const ratings = new Float32Array(numRatings);
  const timestamps = new Float64Array(numRatings);
  order.forEach((source, r) => {
    users[r] = userIndex.get(rawUsers[source])!;
    movies[r] = movieIndex.get(rawMovies[source])!;
    ratings[r] = data.ratings.ratings[source];
    timestamps[r] = data.ratings.timestamps[source];
  });

  const numTrain = Math.round(numRatings * (1 - evalFraction));
  if (numTrain < 1 || numTrain >= numRatings) {
    throw new Error(
      `buildRatingsDataset: ${numRatings} ratings with evalFraction ${evalFraction} leave an empty training or evaluation part`,
    );
  }

  return {
    format: data.format,
    numUsers: userIds.length,
    numMovies: movieTable.length,
    numRatings,
    userIds,
    movieIds: Int32Array.from(movieTable, (movie) => movie.id),
    movieTitles: movieTable.map((movie) => movie.title),
    titleVocab,
    genreVocab,
    movieTitleWords,
    movieGenres,
    users,
    movies,
    ratings,
    timestamps,
    titleWords: gatherCsr(movieTitleWords, movies),
    genres: gatherCsr(movieGenres, movies),
    numTrain,
  };
}

/** Returns list `i` of a CSR structure. */
export function csrRow(csr: Csr, i: number): Int32Array {
  return csr.ids.subarray(csr.offsets[i], csr.offsets[i + 1]);
}

function indexMovies(data: MovieLensData): MovieLensData['movies'] {
  const seen = new Map<number, number>();
  const genreNames = new Set(data.genreNames);
  for (const movie of data.movies) {
    const previous = seen.get(movie.id);
    if (previous !== undefined) {
      throw new Error(`buildRatingsDataset: ${data.moviesName}:${movie.line}: movie id ${movie.id} repeats line ${previous}`);
    }
    seen.set(movie.id, movie.line);
    for (const genre of movie.genres) {
      if (!genreNames.has(genre)) {
        throw new Error(`buildRatingsDataset: ${data.moviesName}:${movie.line}: genre '${genre}' is not in the genre list`);
      }
    }
  }
  return [...data.movies].sort((a, b) => a.id - b.id);
}

// Rating positions sorted by timestamp, then user id, then movie id, then file position.
function timeOrder(data: MovieLensData): Int32Array {
  const { users, movies, timestamps } = data.ratings;
  const order = Int32Array.from({ length: users.length }, (_, i) => i);
  return order.sort(
    (a, b) => timestamps[a] - timestamps[b] || users[a] - users[b] || movies[a] - movies[b] || a - b,
  );
}

function toCsr(lists: number[][]): Csr {
  const offsets = new Int32Array(lists.length + 1);
  lists.forEach((list, i) => (offsets[i + 1] = offsets[i] + list.length));
  return { offsets, ids: Int32Array.from(lists.flat()) };
}

// Repeats row rows[i] of `source` for every i.
function gatherCsr(source: Csr, rows: Int32Array): Csr {
  const offsets = new Int32Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) {
    offsets[i + 1] = offsets[i] + source.offsets[rows[i] + 1] - source.offsets[rows[i]];
  }

  const ids = new Int32Array(offsets[rows.length]);
  for (let i = 0; i < rows.length; i++) ids.set(csrRow(source, rows[i]), offsets[i]);
  return { offsets, ids };
}
