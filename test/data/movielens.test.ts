import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { detectMovieLensFormat, loadMovieLens } from '../../src/data/movielens-node.js';
import { ML100K_GENRES, parseMl100kMovies, parseMl100kRatings, parseMlLatestMovies, parseMlLatestRatings } from '../../src/data/movielens.js';
import { tokenizeTitle } from '../../src/data/ratings-dataset.js';
import { writeMovieLens100k, writeMovieLensLatestSmall } from '../fixtures/movielens.js';

let root: string;
let ml100k: string;
let latest: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'talkgrad-movielens-'));
  ml100k = join(root, 'ml-100k');
  latest = join(root, 'ml-latest-small');
  await writeMovieLens100k(ml100k, { seed: 1, users: 23, movies: 41, ratings: 517 });
  await writeMovieLensLatestSmall(latest, { seed: 2, users: 19, movies: 37, ratings: 401 });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// Copies the fixture folder with one file replaced, for the error cases.
async function variant(name: string, file: string, contents: string | Uint8Array, source = ml100k): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir);
  const files = source === ml100k ? ['u.data', 'u.item'] : ['ratings.csv', 'movies.csv'];
  for (const f of files) await writeFile(join(dir, f), f === file ? contents : await readFile(join(source, f)));
  return dir;
}

describe('loadMovieLens', () => {
  it('detects ml-100k', async () => {
    expect(await detectMovieLensFormat(ml100k)).toBe('ml-100k');
  });

  it('detects ml-latest-small', async () => {
    expect(await detectMovieLensFormat(latest)).toBe('ml-latest-small');
  });

  it('ml-100k counts', async () => {
    const dataset = await loadMovieLens(ml100k);
    expect(dataset.format).toBe('ml-100k');
    expect(dataset.numUsers).toBe(23);
    expect(dataset.numMovies).toBe(41);
    expect(dataset.numRatings).toBe(517);
    expect(dataset.genreVocab).toEqual(ML100K_GENRES);
  });

  it('ml-100k Latin-1 title', async () => {
    const dataset = await loadMovieLens(ml100k);
    expect(dataset.movieTitles[0]).toMatch(/^Café /);
    expect(dataset.titleVocab).toContain('café');
  });

  it('ml-latest-small ids with gaps', async () => {
    const dataset = await loadMovieLens(latest);
    expect(dataset.format).toBe('ml-latest-small');
    expect(dataset.numMovies).toBe(37);
    expect(Array.from(dataset.movieIds.subarray(0, 3))).toEqual([1, 4, 7]);
  });

  it('ml-latest-small quoted titles', async () => {
    const dataset = await loadMovieLens(latest);
    expect(dataset.movieTitles.some((title) => title.includes(', The ('))).toBe(true);
    expect(dataset.movieTitles.some((title) => title.includes('"'))).toBe(true);
  });

  it('no genres listed gives empty bag', async () => {
    const dataset = await loadMovieLens(latest);
    const last = dataset.numMovies - 1;
    expect(dataset.movieGenres.offsets[last + 1] - dataset.movieGenres.offsets[last]).toBe(0);
    expect(dataset.genreVocab).not.toContain('(no genres listed)');
  });

  it('half-star ratings', async () => {
    const dataset = await loadMovieLens(latest);
    expect(dataset.ratings.every((r) => r >= 0.5 && r <= 5 && Number.isInteger(r * 2))).toBe(true);
  });

  it('missing files message', async () => {
    const error = await loadMovieLens(join(root, 'empty')).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('must contain u.data and u.item (ml-100k) or ratings.csv and movies.csv (ml-latest-small)');
    expect(message).toContain('license forbids redistribution');
    expect(message).toContain('https://grouplens.org/datasets/movielens/');
  });

  it('unknown movie id', async () => {
    const data = (await readFile(join(ml100k, 'u.data'), 'utf8')).split('\n');
    data[4] = '1\t999\t3\t874724710';
    const dir = await variant('unknown-movie', 'u.data', data.join('\n'));
    await expect(loadMovieLens(dir)).rejects.toThrow(/u\.data:5: movie id 999 is not listed in .*u\.item/);
  });

  it('duplicate movie id', async () => {
    const items = (await readFile(join(ml100k, 'u.item'), 'latin1')).split('\n');
    items[2] = items[2].replace(/^\d+\|/, '1|');
    const dir = await variant('duplicate-movie', 'u.item', Buffer.from(items.join('\n'), 'latin1'));
    await expect(loadMovieLens(dir)).rejects.toThrow(/u\.item:3: movie id 1 repeats line 1/);
  });

  it('csv rating of unlisted movie', async () => {
    const dir = await variant('unlisted-movie-csv', 'movies.csv', 'movieId,title,genres\n1,A (1990),Drama\n', latest);
    await expect(loadMovieLens(dir)).rejects.toThrow(/ratings\.csv:\d+: movie id \d+ is not listed/);
  });
});

describe('parseMl100kRatings', () => {
  it('non-numeric rating', () => {
    expect(() => parseMl100kRatings('1\t2\t3\t100\n1\t3\tfour\t100\n', '/m/u.data')).toThrow(
      "parseMl100kRatings: /m/u.data:2: rating 'four' is not a number in [0.5, 5]",
    );
  });

  it('non-numeric user id', () => {
    expect(() => parseMl100kRatings('x\t2\t3\t100\n', 'u.data')).toThrow("u.data:1: user id 'x' is not an integer");
  });

  it('wrong field count', () => {
    expect(() => parseMl100kRatings('1\t2\t3\t100\n\n1 2 3 100\n', 'u.data')).toThrow(
      'u.data:3: expected 4 tab-separated fields, found 1',
    );
  });

  it('negative timestamp', () => {
    expect(() => parseMl100kRatings('1\t2\t3\t-5\n', 'u.data')).toThrow("timestamp '-5' is not a non-negative integer");
  });

  it('crlf accepted', () => {
    expect(parseMl100kRatings('7\t9\t4\t881250949\r\n', 'u.data').ratings).toEqual([4]);
  });
});

describe('parseMl100kMovies', () => {
  const flags = (on: number[]) => ML100K_GENRES.map((_, i) => (on.includes(i) ? '1' : '0')).join('|');

  it('genre flags to names', () => {
    const line = `1|Toy Story (1995)|01-Jan-1995||http://x|${flags([3, 4, 5])}\n`;
    expect(parseMl100kMovies(new TextEncoder().encode(line), 'u.item')[0].genres).toEqual(['Animation', "Children's", 'Comedy']);
  });

  it('latin1 byte decoded', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('5|Caf'), 0xe9, ...new TextEncoder().encode(` (1995)|||x|${flags([8])}`)]);
    expect(parseMl100kMovies(bytes, 'u.item')[0].title).toBe('Café (1995)');
  });

  it('wrong field count', () => {
    const text = `1|A (1995)|||x|${flags([1])}\n2|B (1995)|x|0|0\n`;
    expect(() => parseMl100kMovies(new TextEncoder().encode(text), '/m/u.item')).toThrow(
      "parseMl100kMovies: /m/u.item:2: expected 24 '|'-separated fields, found 5",
    );
  });

  it('bad genre flag', () => {
    const text = `1|A (1995)|||x|${flags([1]).replace(/^0/, '2')}\n`;
    expect(() => parseMl100kMovies(new TextEncoder().encode(text), 'u.item')).toThrow("u.item:1: genre flag unknown is '2'");
  });
});

describe('ml-latest-small parsers', () => {
  it('ratings header required', () => {
    expect(() => parseMlLatestRatings('user,movie,rating,timestamp\n1,2,3,4\n', 'r.csv')).toThrow(
      "parseMlLatestRatings: r.csv:1: expected the header 'userId,movieId,rating,timestamp', found 'user,movie,rating,timestamp'",
    );
  });

  it('ratings field count', () => {
    expect(() => parseMlLatestRatings('userId,movieId,rating,timestamp\n1,2,3.5,4\n1,2,3\n', 'r.csv')).toThrow(
      'r.csv:3: expected 4 fields, found 3',
    );
  });

  it('ratings non-numeric', () => {
    expect(() => parseMlLatestRatings('userId,movieId,rating,timestamp\n1,2,3.5,soon\n', 'r.csv')).toThrow(
      "r.csv:2: timestamp 'soon' is not a non-negative integer",
    );
  });

  it('movies title with comma', () => {
    const movies = parseMlLatestMovies('movieId,title,genres\n2571,"Matrix, The (1999)",Action|Sci-Fi|Thriller\n', 'm.csv');
    expect(movies[0]).toEqual({ id: 2571, title: 'Matrix, The (1999)', genres: ['Action', 'Sci-Fi', 'Thriller'], line: 2 });
  });

  it('movies non-numeric id', () => {
    expect(() => parseMlLatestMovies('movieId,title,genres\nabc,A (1990),Drama\n', 'm.csv')).toThrow(
      "parseMlLatestMovies: m.csv:2: movieId 'abc' is not an integer",
    );
  });
});

describe('tokenizeTitle', () => {
  it('drops trailing year', () => {
    expect(tokenizeTitle('Toy Story (1995)')).toEqual(['toy', 'story']);
  });

  it('keeps digits and article', () => {
    expect(tokenizeTitle('Matrix Reloaded, The 2 (2003)')).toEqual(['matrix', 'reloaded', 'the', '2']);
  });

  it('keeps inner parentheses', () => {
    expect(tokenizeTitle('City of Lost Children, The (Cité des enfants perdus, La) (1995)')).toEqual([
      'city', 'of', 'lost', 'children', 'the', 'cité', 'des', 'enfants', 'perdus', 'la',
    ]);
  });

  it('year inside title kept', () => {
    expect(tokenizeTitle('2001: A Space Odyssey (1968)')).toEqual(['2001', 'a', 'space', 'odyssey']);
  });
});
