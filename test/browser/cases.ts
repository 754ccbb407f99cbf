// Computations that the browser test runs twice: in Node against src/ and in Chromium
// against the browser bundle. Each case gets the library as an argument, so both runs
// execute the same code and only the library build and the WebGPU adapter differ.
// Inputs and outputs are plain arrays, because they cross page.evaluate as JSON.

import type * as Talkgrad from '../../src/index.browser.js';

export type Library = typeof Talkgrad;
type Tensor = Talkgrad.Tensor;

export interface ArrayInput {
  shape: number[];
  values: number[];
}

export type CaseInputs = Record<string, ArrayInput>;
export type CaseOutputs = Record<string, number[]>;

function upload(tg: Library, input: ArrayInput, requiresGrad = false): Tensor {
  return tg.tensor(Float32Array.from(input.values), { shape: input.shape, requiresGrad });
}

/** Reads every tensor of `outputs`, then disposes them. */
async function read(outputs: Record<string, Tensor>): Promise<CaseOutputs> {
  const result: CaseOutputs = {};
  for (const [name, t] of Object.entries(outputs)) {
    result[name] = Array.from(await t.data());
    t.dispose();
  }
  return result;
}

/** loss = sum(softmax(x @ w) * c), with the gradients of x and w. */
function softmaxMatmulGradient(tg: Library, inputs: CaseInputs): Record<string, Tensor> {
  const x = upload(tg, inputs.x, true);
  const w = upload(tg, inputs.w, true);
  const loss = tg.softmax(tg.matmul(x, w), -1).mul(upload(tg, inputs.c)).sum();
  loss.backward();
  return { loss, dx: x.grad!, dw: w.grad! };
}

/** loss = sum(layerNorm(x, weight, bias) * c), with the gradients of all three inputs. */
function layerNormGradient(tg: Library, inputs: CaseInputs): Record<string, Tensor> {
  const x = upload(tg, inputs.x, true);
  const weight = upload(tg, inputs.weight, true);
  const bias = upload(tg, inputs.bias, true);
  const loss = tg.layerNorm(x, weight, bias).mul(upload(tg, inputs.c)).sum();
  loss.backward();
  return { loss, dx: x.grad!, dweight: weight.grad!, dbias: bias.grad! };
}

/** loss = sum(causal attention(q, k, v) * c), with the gradients of q, k and v. */
function attentionGradient(tg: Library, inputs: CaseInputs): Record<string, Tensor> {
  const [q, k, v] = [inputs.q, inputs.k, inputs.v].map((input) => upload(tg, input, true));
  const loss = tg.scaledDotProductAttention(q, k, v, { causal: true }).mul(upload(tg, inputs.c)).sum();
  loss.backward();
  return { loss, dq: q.grad!, dk: k.grad!, dv: v.grad! };
}

/**
 * loss = sum(e * c) for the token states e of a one-block ViT (patch 7, dim 16) on two
 * images, with the gradient of every parameter. The loss skips the head because its
 * classifier starts at zero, which would make every other gradient zero.
 */
function vitGradient(tg: Library, inputs: CaseInputs): Record<string, Tensor> {
  const model = new tg.ViT({ imageSize: 28, channels: 1, patchSize: 7, dim: 16, heads: 2, depth: 1, mlpDim: 32, numClasses: 10, seed: 5 });
  const e = model.upper(model.lower(upload(tg, inputs.images)));
  const loss = e.mul(upload(tg, inputs.c)).sum();
  loss.backward();

  // Copies, because dispose() frees the model's gradients with its parameters. The
  // unused classifier has no gradient.
  const outputs: Record<string, Tensor> = { e, loss };
  for (const [name, p] of model.namedParameters()) {
    if (p.grad !== null) outputs[`d ${name}`] = p.grad.clone();
  }
  model.dispose();
  return outputs;
}

// The gradient cases run inside runOpCase's tidy, which keeps the forward
// intermediates alive through backward() and disposes them after.

/** Ops whose outputs the browser test compares; each maps inputs to named output tensors. */
export const OP_CASES = {
  matmul: (tg: Library, inputs: CaseInputs) => ({ out: tg.matmul(upload(tg, inputs.a), upload(tg, inputs.b)) }),
  softmax: (tg: Library, inputs: CaseInputs) => ({ out: tg.softmax(upload(tg, inputs.x), 1) }),
  logSoftmax: (tg: Library, inputs: CaseInputs) => ({ out: tg.logSoftmax(upload(tg, inputs.x), -1) }),
  layerNorm: (tg: Library, inputs: CaseInputs) => ({
    out: tg.layerNorm(upload(tg, inputs.x), upload(tg, inputs.weight), upload(tg, inputs.bias)),
  }),
  attention: (tg: Library, inputs: CaseInputs) => ({
    out: tg.scaledDotProductAttention(upload(tg, inputs.q), upload(tg, inputs.k), upload(tg, inputs.v), { causal: true }),
  }),
  softmaxMatmulGradient,
  layerNormGradient,
  attentionGradient,
  vitGradient,
} satisfies Record<string, (tg: Library, inputs: CaseInputs) => Record<string, Tensor>>;

export type OpCaseName = keyof typeof OP_CASES;

/** Runs one op case and returns its outputs as arrays. */
export async function runOpCase(tg: Library, name: OpCaseName, inputs: CaseInputs): Promise<CaseOutputs> {
  const outputs = tg.tidy(() => OP_CASES[name](tg, inputs));
  return read(outputs);
}

export interface TrainingRun {
  losses: number[];
}

/**
 * Trains a 12-16-3 ReLU MLP with plain SGD on 64 points labelled by a random linear
 * map, all drawn from `seed`, and returns the loss before each step.
 */
export async function runTraining(tg: Library, seed: number, steps: number, learningRate: number): Promise<TrainingRun> {
  const rng = new tg.Rng(seed);
  const [n, features, hidden, classes] = [64, 12, 16, 3];
  const normal = (count: number, std: number) => Float32Array.from({ length: count }, () => std * rng.normal());

  const xValues = normal(n * features, 1);
  const teacher = normal(features * classes, 1);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      let score = 0;
      for (let f = 0; f < features; f++) score += xValues[i * features + f] * teacher[f * classes + c];
      if (score > bestScore) [best, bestScore] = [c, score];
    }
    labels[i] = best;
  }

  const x = tg.tensor(xValues, { shape: [n, features] });
  const y = tg.tensor(labels, { shape: [n], dtype: 'int32' });
  let params = [
    tg.tensor(normal(features * hidden, 1 / Math.sqrt(features)), { shape: [features, hidden], requiresGrad: true }),
    tg.zeros([hidden], { requiresGrad: true }),
    tg.tensor(normal(hidden * classes, 1 / Math.sqrt(hidden)), { shape: [hidden, classes], requiresGrad: true }),
    tg.zeros([classes], { requiresGrad: true }),
  ];

  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const [w1, b1, w2, b2] = params;
    const loss = tg.tidy(() => {
      const h = tg.relu(tg.matmul(x, w1).add(b1));
      const value = tg.crossEntropy(tg.matmul(h, w2).add(b2), y);
      value.backward();
      return value;
    });
    losses.push(await loss.item());
    loss.dispose();

    // Hand-written SGD step: p <- p - lr * grad, as new leaf tensors.
    const next = tg.noGrad(() => params.map((p) => tg.keep(p.sub(p.grad!.mul(learningRate)))));
    for (const p of params) {
      p.zeroGrad();
      p.dispose();
    }
    params = next.map((p) => p.requiresGrad_(true));
  }

  for (const t of [x, y, ...params]) t.dispose();
  return { losses };
}
