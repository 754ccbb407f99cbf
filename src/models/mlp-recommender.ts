// MLP rating model for MovieLens, split into the stages that distillation needs:
//   lower: user, movie, title-word bag and genre bag embeddings, concatenated -> s [B, S]
//   upper: ReLU dense layers -> e [B, E] (E is the last hidden width)
//   head:  one dense unit -> predicted rating [B]

import type { Csr, RatingsDataset } from '../data/ratings-dataset.js';
import { Embedding, EmbeddingBag } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { tensor } from '../ops/create.js';
import { concat, reshape } from '../ops/shape-ops.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Rng } from '../util/rng.js';
import type { StagedModel } from './staged.js';

export interface RecommenderEmbeddingDims {
  user: number;
  movie: number;
  title: number;
  genre: number;
}

export interface MlpRecommenderConfig {
  numUsers: number;
  numMovies: number;
  numTitleWords: number;
  numGenres: number;
  /** Embedding widths. The lower-stage state s is their concatenation. */
  embeddingDims: RecommenderEmbeddingDims;
  /** Widths of the ReLU layers of the upper stage, at least one. */
  hidden: number[];
  /** Std of the normal initial embeddings. Default 0.1. */
  embeddingStd?: number;
  /** Seed of the initial weights. Default 0. */
  seed?: number;
}

/** Teacher sizes: s = 100 + 100 + 50 + 50 = 300 dims, upper [512, 256]. */
export const TEACHER_RECOMMENDER_SIZES = {
  embeddingDims: { user: 100, movie: 100, title: 50, genre: 50 },
  hidden: [512, 256],
} as const satisfies Pick<MlpRecommenderConfig, 'embeddingDims' | 'hidden'>;

/**
 * Student sizes: upper [128, 64].
 * NOTE: the student embedding widths (32 + 32 + 16 + 16 = 96) are this library's choice, not a published setting.
 */
export const STUDENT_RECOMMENDER_SIZES = {
  embeddingDims: { user: 32, movie: 32, title: 16, genre: 16 },
  hidden: [128, 64],
} as const satisfies Pick<MlpRecommenderConfig, 'embeddingDims' | 'hidden'>;

/** One batch of ratings as int32 tensors. The bags are CSR ids [nnz] with offsets [B + 1]. */
export interface RecommenderInput {
  users: Tensor;
  movies: Tensor;
  titleWords: { ids: Tensor; offsets: Tensor };
  genres: { ids: Tensor; offsets: Tensor };
}

export class MlpRecommender extends Module implements StagedModel<RecommenderInput> {
  readonly config: MlpRecommenderConfig;
  readonly stateDims: { s: number; e: number };
  readonly userEmbedding: Embedding;
  readonly movieEmbedding: Embedding;
  readonly titleEmbedding: EmbeddingBag;
  readonly genreEmbedding: EmbeddingBag;
  readonly mlp: Sequential;
  readonly output: Linear;

  constructor(config: MlpRecommenderConfig) {
    super();
    if (config.hidden.length === 0) throw new Error('MlpRecommender: hidden needs at least one layer width');
    this.config = structuredClone(config);
    const rng = new Rng(config.seed ?? 0);
    const std = config.embeddingStd ?? 0.1;
    const dims = config.embeddingDims;

    this.userEmbedding = this.registerModule('userEmbedding', new Embedding(config.numUsers, dims.user, { rng, std }));
    this.movieEmbedding = this.registerModule('movieEmbedding', new Embedding(config.numMovies, dims.movie, { rng, std }));
    this.titleEmbedding = this.registerModule('titleEmbedding', new EmbeddingBag(config.numTitleWords, dims.title, { rng, std }));
    this.genreEmbedding = this.registerModule('genreEmbedding', new EmbeddingBag(config.numGenres, dims.genre, { rng, std }));

    const s = dims.user + dims.movie + dims.title + dims.genre;
    const widths = [s, ...config.hidden];
    const layers = config.hidden.map((width, i) => new Linear(widths[i], width, { rng, activation: 'relu' }));
    this.mlp = this.registerModule('mlp', new Sequential(...layers));
    this.output = this.registerModule('output', new Linear(widths[widths.length - 1], 1, { rng }));
    this.stateDims = { s, e: widths[widths.length - 1] };
  }

  /** Embeds a batch as s = [user, movie, mean of title words, mean of genres] joined on dim 1, shape [B, S]. */
  lower(x: RecommenderInput): Tensor {
    const batch = x.users.size;
    for (const [name, bag] of [['titleWords', x.titleWords], ['genres', x.genres]] as const) {
      if (x.movies.size !== batch || bag.offsets.size !== batch + 1) {
        throw new Error(
          `MlpRecommender: ${batch} users need ${batch} movies and ${name} offsets [${batch + 1}], got ${formatShape(x.movies.shape)} and ${formatShape(bag.offsets.shape)}`,
        );
      }
    }
    return concat(
      [
        this.userEmbedding.forward(reshape(x.users, [batch])),
        this.movieEmbedding.forward(reshape(x.movies, [batch])),
        this.titleEmbedding.forward(x.titleWords.ids, x.titleWords.offsets),
        this.genreEmbedding.forward(x.genres.ids, x.genres.offsets),
      ],
      1,
    );
  }

  upper(s: Tensor): Tensor {
    return this.mlp.forward(s);
  }

  /** Predicted ratings [B]. */
  head(e: Tensor): Tensor {
    const y = this.output.forward(e);
    return reshape(y, [y.shape[0]]);
  }

  forward(x: RecommenderInput): Tensor {
    return this.head(this.upper(this.lower(x)));
  }
}

/** Sizes of a data set's vocabularies, to spread into an MlpRecommenderConfig. */
export function recommenderVocabSizes(dataset: RatingsDataset): Pick<MlpRecommenderConfig, 'numUsers' | 'numMovies' | 'numTitleWords' | 'numGenres'> {
  return {
    numUsers: dataset.numUsers,
    numMovies: dataset.numMovies,
    numTitleWords: Math.max(dataset.titleVocab.length, 1),
    numGenres: Math.max(dataset.genreVocab.length, 1),
  };
}

/** Uploads the ratings at `indices` as a model input and a float32 target tensor [B]. */
export function recommenderBatch(dataset: RatingsDataset, indices: ArrayLike<number>): { input: RecommenderInput; ratings: Tensor } {
  const rows = Int32Array.from(indices);
  for (const r of rows) {
    if (r < 0 || r >= dataset.numRatings) throw new Error(`recommenderBatch: rating index ${r} is outside [0, ${dataset.numRatings})`);
  }
  const users = rows.map((r) => dataset.users[r]);
  const movies = rows.map((r) => dataset.movies[r]);
  const ratings = Float32Array.from(rows, (r) => dataset.ratings[r]);
  return {
    input: {
      users: tensor(users),
      movies: tensor(movies),
      titleWords: bagTensors(dataset.titleWords, rows),
      genres: bagTensors(dataset.genres, rows),
    },
    ratings: tensor(ratings),
  };
}

function bagTensors(csr: Csr, rows: Int32Array): { ids: Tensor; offsets: Tensor } {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i] + csr.offsets[r + 1] - csr.offsets[r]));
  const ids = new Int32Array(offsets[rows.length]);
  rows.forEach((r, i) => ids.set(csr.ids.subarray(csr.offsets[r], csr.offsets[r + 1]), offsets[i]));
  return { ids: tensor(ids), offsets: tensor(offsets) };
}
