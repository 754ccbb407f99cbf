// Parsers for two MovieLens releases by GroupLens. Both work on bytes, so a browser
// can pass the bytes of files the user picked.
//   ml-100k:         u.data  user id \t item id \t rating \t timestamp
//                    u.item  id|title|release date|video release date|IMDb URL|19 genre flags (Latin-1)
//   ml-latest-small: ratings.csv  userId,movieId,rating,timestamp
//                    movies.csv   movieId,title,genres   (genres separated by '|')

import { parseCsv, type CsvRow } from './csv.js';

export type MovieLensFormat = 'ml-100k' | 'ml-latest-small';

/** Genre names of ml-100k in the order of the u.item flag columns. */
export const ML100K_GENRES: readonly string[] = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
];

/** Standard file names of each format: ratings file, then movies file. */
export const MOVIELENS_FILES: Readonly<Record<MovieLensFormat, { ratings: string; movies: string }>> = {
  'ml-100k': { ratings: 'u.data', movies: 'u.item' },
  'ml-latest-small': { ratings: 'ratings.csv', movies: 'movies.csv' },
};

/** ml-latest-small writes this in place of the genres of a movie without any. */
const NO_GENRES = '(no genres listed)';

export interface MovieRecord {
  id: number;
  title: string;
  /** Genre names. */
  genres: string[];
  /** 1-based line in the movies file. */
  line: number;
}

/** Ratings in file order, with the line of each for error messages. */
export interface RatingRecords {
  users: number[];
  movies: number[];
  ratings: number[];
  timestamps: number[];
  lines: number[];
}

/** One MovieLens release as parsed from its two files. */
export interface MovieLensData {
  format: MovieLensFormat;
  ratings: RatingRecords;
  movies: MovieRecord[];
  /** All genre names, in the standard order for ml-100k and sorted for ml-latest-small. */
  genreNames: string[];
  ratingsName: string;
  moviesName: string;
}

/** Parses the ratings and movies files of one release. Names label errors. */
export function parseMovieLens(
  format: MovieLensFormat,
  ratingsBytes: Uint8Array,
  moviesBytes: Uint8Array,
  names: { ratings: string; movies: string },
): MovieLensData {
  if (format === 'ml-100k') {
    return {
      format,
      ratings: parseMl100kRatings(new TextDecoder('utf-8').decode(ratingsBytes), names.ratings),
      movies: parseMl100kMovies(moviesBytes, names.movies),
      genreNames: [...ML100K_GENRES],
      ratingsName: names.ratings,
      moviesName: names.movies,
    };
  }
  if (format === 'ml-latest-small') {
    const movies = parseMlLatestMovies(new TextDecoder('utf-8').decode(moviesBytes), names.movies);
    const genreNames = [...new Set(movies.flatMap((movie) => movie.genres))].sort();
    return {
      format,
      ratings: parseMlLatestRatings(new TextDecoder('utf-8').decode(ratingsBytes), names.ratings),
      movies,
      genreNames,
      ratingsName: names.ratings,
      moviesName: names.movies,
    };
  }
  throw new Error(`parseMovieLens: unknown format '${String(format)}'; use 'ml-100k' or 'ml-latest-small'`);
}

/** Parses ml-100k u.data: tab-separated user id, item id, rating, timestamp. */
export function parseMl100kRatings(text: string, name: string): RatingRecords {
  const records: RatingRecords = { users: [], movies: [], ratings: [], timestamps: [], lines: [] };
  const lines = text.split('\n');

  for (let index = 0; index < lines.length; index++) {
    const content = lines[index].replace(/\r$/, '');
    if (content.trim() === '') continue;
    const line = index + 1;
    const fields = content.split('\t');
    if (fields.length !== 4) {
      throw new Error(`parseMl100kRatings: ${name}:${line}: expected 4 tab-separated fields, found ${fields.length}`);
    }
    pushRating(records, fields, name, line, 'parseMl100kRatings');
  }
  return records;
}

/** Parses ml-100k u.item, which is Latin-1 encoded and pipe-separated with 24 fields. */
export function parseMl100kMovies(bytes: Uint8Array, name: string): MovieRecord[] {
  // NOTE: the WHATWG 'latin1' label decodes as windows-1252, which differs from
  // ISO-8859-1 in bytes 0x80-0x9f. The real u.item was not checked for such bytes.
  const text = new TextDecoder('latin1').decode(bytes);
  const lines = text.split('\n');
  const movies: MovieRecord[] = [];
  const fieldCount = 5 + ML100K_GENRES.length;

  for (let index = 0; index < lines.length; index++) {
    const content = lines[index].replace(/\r$/, '');
    if (content.trim() === '') continue;
    const line = index + 1;
    const fields = content.split('|');
    if (fields.length !== fieldCount) {
      throw new Error(`parseMl100kMovies: ${name}:${line}: expected ${fieldCount} '|'-separated fields, found ${fields.length}`);
    }

    const id = parseId(fields[0], name, line, 'movie id', 'parseMl100kMovies');
    const genres: string[] = [];
    for (let g = 0; g < ML100K_GENRES.length; g++) {
      const flag = fields[5 + g];
      if (flag !== '0' && flag !== '1') {
        throw new Error(`parseMl100kMovies: ${name}:${line}: genre flag ${ML100K_GENRES[g]} is '${flag}', expected 0 or 1`);
      }
      if (flag === '1') genres.push(ML100K_GENRES[g]);
    }
    movies.push({ id, title: fields[1], genres, line });
  }
  return movies;
}

/** Parses ml-latest-small ratings.csv, whose header is userId,movieId,rating,timestamp. */
export function parseMlLatestRatings(text: string, name: string): RatingRecords {
  const rows = csvWithHeader(text, name, ['userId', 'movieId', 'rating', 'timestamp'], 'parseMlLatestRatings');
  const records: RatingRecords = { users: [], movies: [], ratings: [], timestamps: [], lines: [] };
  for (const row of rows) pushRating(records, row.fields, name, row.line, 'parseMlLatestRatings');
  return records;
}

/** Parses ml-latest-small movies.csv, whose header is movieId,title,genres. */
export function parseMlLatestMovies(text: string, name: string): MovieRecord[] {
  const rows = csvWithHeader(text, name, ['movieId', 'title', 'genres'], 'parseMlLatestMovies');
  return rows.map((row) => {
    const [idText, title, genreText] = row.fields;
    const id = parseId(idText, name, row.line, 'movieId', 'parseMlLatestMovies');
    const genres = genreText === NO_GENRES || genreText === '' ? [] : genreText.split('|');
    return { id, title, genres, line: row.line };
  });
}

function csvWithHeader(text: string, name: string, header: string[], caller: string): CsvRow[] {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''), name);
  if (rows.length === 0 || rows[0].fields.join(',') !== header.join(',')) {
    const found = rows.length === 0 ? 'an empty file' : `'${rows[0].fields.join(',')}'`;
    throw new Error(`${caller}: ${name}:1: expected the header '${header.join(',')}', found ${found}`);
  }

  const body = rows.slice(1);
  for (const row of body) {
    if (row.fields.length !== header.length) {
      throw new Error(`${caller}: ${name}:${row.line}: expected ${header.length} fields, found ${row.fields.length}`);
    }
  }
  return body;
}

function pushRating(records: RatingRecords, fields: string[], name: string, line: number, caller: string): void {
  records.users.push(parseId(fields[0], name, line, 'user id', caller));
  records.movies.push(parseId(fields[1], name, line, 'movie id', caller));

  const rating = /^\d+(\.\d+)?$/.test(fields[2]) ? Number(fields[2]) : NaN;
  if (!(rating >= 0.5 && rating <= 5)) {
    throw new Error(`${caller}: ${name}:${line}: rating '${fields[2]}' is not a number in [0.5, 5]`);
  }
  records.ratings.push(rating);

  const timestamp = /^\d+$/.test(fields[3]) ? Number(fields[3]) : NaN;
  if (!Number.isSafeInteger(timestamp)) {
    throw new Error(`${caller}: ${name}:${line}: timestamp '${fields[3]}' is not a non-negative integer`);
  }
  records.timestamps.push(timestamp);
  records.lines.push(line);
}

function parseId(text: string, name: string, line: number, field: string, caller: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value > 0x7fffffff) {
    throw new Error(`${caller}: ${name}:${line}: ${field} '${text}' is not an integer in [0, 2^31)`);
  }
  return value;
}
