import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadMovieLens } from '../../src/data/movielens-node.js';
import { csrRow, type RatingsDataset } from '../../src/data/ratings-dataset.js';
import {
  MlpRecommender,
  recommenderBatch,
  recommenderVocabSizes,
  STUDENT_RECOMMENDER_SIZES,
  TEACHER_RECOMMENDER_SIZES,
} from '../../src/models/mlp-recommender.js';
import { Adam } from '../../src/optim/index.js';
import { mseLoss } from '../../src/ops/losses.js';
import { tidy } from '../../src/tensor/scope.js';
import { expectAllClose } from '../helpers/check.js';
import { writeMovieLens100k } from '../fixtures/movielens.js';
import { readParams } from '../nn/module-check.js';
import { referenceLinear, referenceRelu } from '../nn/reference.js';

let root: string;
let dataset: RatingsDataset;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'talkgrad-recommender-'));
  await writeMovieLens100k(root, { seed: 5, users: 23, movies: 31, ratings: 400 });
  dataset = await loadMovieLens(root);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('MlpRecommender', () => {
  it('teacher stage shapes', () => {
    const model = new MlpRecommender({ ...recommenderVocabSizes(dataset), ...TEACHER_RECOMMENDER_SIZES });
    expect(model.stateDims).toEqual({ s: 300, e: 256 });
    const { input } = recommenderBatch(dataset, [0, 5, 9]);
    const s = model.lower(input);
    const e = model.upper(s);
    expect(s.shape).toEqual([3, 300]);
    expect(e.shape).toEqual([3, 256]);
    expect(model.head(e).shape).toEqual([3]);
  });

  it('student matches a float64 reference', async () => {
    const model = new MlpRecommender({ ...recommenderVocabSizes(dataset), ...STUDENT_RECOMMENDER_SIZES, seed: 3 });
    expect(model.stateDims).toEqual({ s: 96, e: 64 });
    const rows = [1, 7, 7, 100, 399];
    const { input } = recommenderBatch(dataset, rows);
    const p = await readParams(model);

    // s = [user row; movie row; mean title-word row; mean genre row]
    const d = STUDENT_RECOMMENDER_SIZES.embeddingDims;
    const meanRows = (table: Float64Array, ids: Int32Array, width: number) =>
      Array.from({ length: width }, (_, j) => (ids.length === 0 ? 0 : ids.reduce((acc, id) => acc + table[id * width + j], 0) / ids.length));
    const s = Float64Array.from(
      rows.flatMap((r) => [
        ...p['userEmbedding.weight'].slice(dataset.users[r] * d.user, (dataset.users[r] + 1) * d.user),
        ...p['movieEmbedding.weight'].slice(dataset.movies[r] * d.movie, (dataset.movies[r] + 1) * d.movie),
        ...meanRows(p['titleEmbedding.weight'], csrRow(dataset.titleWords, r), d.title),
        ...meanRows(p['genreEmbedding.weight'], csrRow(dataset.genres, r), d.genre),
      ]),
    );
    const h1 = referenceRelu(referenceLinear(s, p['mlp.0.weight'], p['mlp.0.bias'], 96, 128));
    const h2 = referenceRelu(referenceLinear(h1, p['mlp.1.weight'], p['mlp.1.bias'], 128, 64));
    const y = referenceLinear(h2, p['output.weight'], p['output.bias'], 64, 1);

    // Dot products of up to 128 terms of size ~0.1-1 in f32: relative error ~1e-6.
    const tol = { rtol: 1e-4, atol: 1e-5 };
    expectAllClose(await model.lower(input).data(), s, tol, 'lower');
    expectAllClose(await model.forward(input).data(), y, tol, 'forward');
  });

  it('teacher overfits a batch of 16 ratings', async () => {
    const model = new MlpRecommender({ ...recommenderVocabSizes(dataset), ...TEACHER_RECOMMENDER_SIZES, seed: 1 });
    const optimizer = new Adam(model.parameters(), { lr: 3e-3 });
    const { input, ratings } = recommenderBatch(dataset, Array.from({ length: 16 }, (_, i) => i * 23));
    // The initial loss is mostly the mean rating, so the target is also set against the
    // ratings' variance: the model must memorize the batch, not only its mean.
    const values = await ratings.data();
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    const losses: number[] = [];
    let target = Infinity;
    for (let step = 0; step < 100; step++) {
      const loss = tidy(() => {
        optimizer.zeroGrad();
        const l = mseLoss(model.forward(input), ratings);
        l.backward();
        optimizer.step();
        return l;
      });
      losses.push(await loss.item());
      loss.dispose();
      target = Math.min(losses[0], variance) / 100;
      if (losses[step] < target) break;
    }
    expect(losses[losses.length - 1], `loss after ${losses.length} steps, from ${losses[0]}`).toBeLessThan(target);
  });
});
