// The two reference models of the step benchmark, written with tfjs-core ops. They
// have the same sizes, initialization schemes and parameter counts as the talkgrad
// versions (talkgrad-reference.ts). They train with tf.train.adam through
// optimizer.minimize on a few fixed random batches that the steps cycle through.

import type { LoadedTfjs } from './tfjs-load.js';
import type { StepCase } from './protocol.js';
import { BATCHES_IN_CYCLE, REFERENCE_SIZES } from './sizes.js';

type Tf = LoadedTfjs['tf'];
type Tensor = ReturnType<Tf['tensor']>;
type Variable = ReturnType<Tf['variable']>;

interface Batch {
  x: Tensor;
  y: Tensor;
}

/** Returns a Xavier (Glorot) uniform kernel [fanIn, fanOut], the scheme of talkgrad's Linear. */
function glorot(tf: Tf, fanIn: number, fanOut: number, seed: number): Variable {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.variable(tf.randomUniform([fanIn, fanOut], -limit, limit, 'float32', seed));
}

function zerosVariable(tf: Tf, shape: number[]): Variable {
  return tf.variable(tf.zeros(shape));
}

/** Wraps variables, a loss and batches as a StepCase. Each step's loss is summed on the GPU until readLoss. */
function tfjsCase(tf: Tf, model: string, variables: Variable[], loss: (batch: Batch) => Tensor, batches: Batch[]): StepCase {
  const optimizer = tf.train.adam(1e-3);
  let stepIndex = 0;
  let sum: Tensor | null = null;
  let count = 0;
  return {
    model,
    parameters: variables.reduce((n, v) => n + v.size, 0),
    step() {
      const batch = batches[stepIndex++ % batches.length];
      const value = optimizer.minimize(() => loss(batch) as ReturnType<Tf['scalar']>, true, variables);
      if (value === null) throw new Error('TensorFlow.js: optimizer.minimize returned no loss');
      const next = sum === null ? value : tf.add(sum, value);
      if (sum !== null) {
        sum.dispose();
        value.dispose();
      }
      sum = next;
      count++;
    },
    async readLoss() {
      if (sum === null) return Number.NaN;
      const mean = (await sum.data())[0] / count;
      sum.dispose();
      sum = null;
      count = 0;
      return mean;
    },
    dispose() {
      sum?.dispose();
      optimizer.dispose();
      for (const v of variables) v.dispose();
      for (const b of batches) {
        b.x.dispose();
        b.y.dispose();
      }
    },
  };
}

export function tfjsMlpCase(tf: Tf, seed: number): StepCase {
  const { batch, widths } = REFERENCE_SIZES.mlp;
  const layers = widths.slice(1).map((width, i) => ({ w: glorot(tf, widths[i], width, seed + i), b: zerosVariable(tf, [width]) }));
  const batches = Array.from({ length: BATCHES_IN_CYCLE }, (_, i) => ({
    x: tf.randomNormal([batch, widths[0]], 0, 1, 'float32', seed + 100 + i),
    y: tf.randomNormal([batch], 0, 1, 'float32', seed + 200 + i),
  }));
  const loss = (b: Batch): Tensor => {
    let h = b.x;
    layers.forEach((layer, i) => {
      h = tf.add(tf.matMul(h, layer.w), layer.b);
      if (i < layers.length - 1) h = tf.relu(h);
    });
    return tf.losses.meanSquaredError(b.y, tf.reshape(h, [batch]));
  };
  return tfjsCase(tf, 'mlp', layers.flatMap((l) => [l.w, l.b]), loss, batches);
}

function layerNorm(tf: Tf, x: Tensor, gamma: Variable, beta: Variable, eps: number): Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

/** Exact GELU, 0.5 x (1 + erf(x / sqrt 2)), because tfjs-core has no GELU op. */
function gelu(tf: Tf, x: Tensor): Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

export function tfjsVitCase(tf: Tf, seed: number): StepCase {
  const s = REFERENCE_SIZES.vit;
  const side = s.imageSize / s.patchSize;
  const patches = side * side;
  const tokens = patches + 1;
  const headDim = s.dim / s.heads;
  const patchInputs = s.channels * s.patchSize * s.patchSize;
  const eps = 1e-6;
  let nextSeed = seed;
  const dense = (fanIn: number, fanOut: number, weightInit: 'glorot' | 'zeros' = 'glorot') => ({
    w: weightInit === 'zeros' ? zerosVariable(tf, [fanIn, fanOut]) : glorot(tf, fanIn, fanOut, nextSeed++),
    b: zerosVariable(tf, [fanOut]),
  });
  const norm = () => ({ g: tf.variable(tf.ones([s.dim])), b: zerosVariable(tf, [s.dim]) });

  // LeCun normal patch kernel, zero class token, position embeddings normal with std 0.02, as talkgrad's ViT.
  const patch = { w: tf.variable(tf.randomNormal([patchInputs, s.dim], 0, Math.sqrt(1 / patchInputs), 'float32', nextSeed++)), b: zerosVariable(tf, [s.dim]) };
  const classToken = zerosVariable(tf, [1, 1, s.dim]);
  const position = tf.variable(tf.randomNormal([1, tokens, s.dim], 0, 0.02, 'float32', nextSeed++));
  const blocks = Array.from({ length: s.depth }, () => ({
    norm1: norm(), query: dense(s.dim, s.dim), key: dense(s.dim, s.dim), value: dense(s.dim, s.dim), out: dense(s.dim, s.dim),
    norm2: norm(), mlp1: dense(s.dim, s.mlpDim), mlp2: dense(s.mlpDim, s.dim),
  }));
  const finalNorm = norm();
  const classifier = dense(s.dim, s.numClasses, 'zeros');

  const variables: Variable[] = [
    patch.w, patch.b, classToken, position,
    ...blocks.flatMap((k) => [k.norm1.g, k.norm1.b, k.query.w, k.query.b, k.key.w, k.key.b, k.value.w, k.value.b, k.out.w, k.out.b,
      k.norm2.g, k.norm2.b, k.mlp1.w, k.mlp1.b, k.mlp2.w, k.mlp2.b]),
    finalNorm.g, finalNorm.b, classifier.w, classifier.b,
  ];

  const batches = Array.from({ length: BATCHES_IN_CYCLE }, (_, i) => ({
    x: tf.randomNormal([s.batch, s.channels, s.imageSize, s.imageSize], 0, 1, 'float32', seed + 100 + i),
    y: tf.oneHot(tf.randomUniform([s.batch], 0, s.numClasses, 'int32', seed + 200 + i), s.numClasses),
  }));

  const linear = (x: Tensor, d: { w: Variable; b: Variable }) => tf.add(tf.matMul(x, d.w), d.b);
  const splitHeads = (x: Tensor) => tf.transpose(tf.reshape(x, [s.batch, tokens, s.heads, headDim]), [0, 2, 1, 3]);

  const loss = (b: Batch): Tensor => {
    const P = s.patchSize;
    const grid = tf.reshape(b.x, [s.batch, s.channels, side, P, side, P]);
    const flat = tf.reshape(tf.transpose(grid, [0, 2, 4, 1, 3, 5]), [s.batch * patches, patchInputs]);
    const embedded = tf.reshape(linear(flat, patch), [s.batch, patches, s.dim]);
    let h = tf.add(tf.concat([tf.tile(classToken, [s.batch, 1, 1]), embedded], 1), position);
    h = tf.reshape(h, [s.batch * tokens, s.dim]);
    for (const k of blocks) {
      const a = layerNorm(tf, h, k.norm1.g, k.norm1.b, eps);
      const q = splitHeads(linear(a, k.query));
      const key = splitHeads(linear(a, k.key));
      const v = splitHeads(linear(a, k.value));
      const weights = tf.softmax(tf.mul(tf.matMul(q, key, false, true), 1 / Math.sqrt(headDim)));
      const merged = tf.reshape(tf.transpose(tf.matMul(weights, v), [0, 2, 1, 3]), [s.batch * tokens, s.dim]);
      h = tf.add(h, linear(merged, k.out));
      const m = gelu(tf, linear(layerNorm(tf, h, k.norm2.g, k.norm2.b, eps), k.mlp1));
      h = tf.add(h, linear(m, k.mlp2));
    }
    const e = tf.reshape(layerNorm(tf, h, finalNorm.g, finalNorm.b, eps), [s.batch, tokens, s.dim]);
    const cls = tf.reshape(tf.slice(e, [0, 0, 0], [s.batch, 1, s.dim]), [s.batch, s.dim]);
    return tf.losses.softmaxCrossEntropy(b.y, linear(cls, classifier));
  };
  return tfjsCase(tf, 'vit', variables, loss, batches);
}
