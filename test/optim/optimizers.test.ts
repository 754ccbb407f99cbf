import { describe, expect, it } from 'vitest';
import { Linear } from '../../src/nn/index.js';
import { Adam, AdamW, SGD, type Optimizer } from '../../src/optim/index.js';
import { randn, tensor } from '../../src/ops/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, randomValues, roundF32 } from '../helpers/check.js';

const SHAPES = [[3, 5], [7], [1]];
const STEPS = 6;
const LRS = [0.05, 0.03, 0.05, 0.02, 0.01, 0.04];

interface AdamHyper {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}

interface SgdHyper {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

// float64 Adam and AdamW as documented for torch.optim.Adam and torch.optim.AdamW.
function referenceAdam(p: Float64Array, grads: Float64Array[], h: AdamHyper): Float64Array {
  const param = p.slice();
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  const [b1, b2] = h.betas;
  grads.forEach((grad, s) => {
    const t = s + 1;
    const lr = LRS[s];
    for (let i = 0; i < p.length; i++) {
      let g = grad[i];
      if (h.decoupled) param[i] *= 1 - lr * h.weightDecay;
      else g += h.weightDecay * param[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const mHat = m[i] / (1 - b1 ** t);
      const vHat = v[i] / (1 - b2 ** t);
      param[i] -= (lr * mHat) / (Math.sqrt(vHat) + h.eps);
    }
  });
  return param;
}

// float64 SGD as documented for torch.optim.SGD (the buffer starts as the first gradient).
function referenceSgd(p: Float64Array, grads: Float64Array[], h: SgdHyper): Float64Array {
  const param = p.slice();
  const buffer = new Float64Array(p.length);
  grads.forEach((grad, s) => {
    for (let i = 0; i < p.length; i++) {
      let g = grad[i] + h.weightDecay * param[i];
      if (h.momentum !== 0) {
        buffer[i] = s === 0 ? g : h.momentum * buffer[i] + (1 - h.dampening) * g;
        g = h.nesterov ? g + h.momentum * buffer[i] : buffer[i];
      }
      param[i] -= LRS[s] * g;
    }
  });
  return param;
}

interface Problem {
  initial: Float64Array[];
  /** grads[step][param] */
  grads: Float64Array[][];
}

function makeProblem(seed: number): Problem {
  const rng = new Rng(seed);
  return {
    initial: SHAPES.map((shape) => roundF32(randomValues(shape, rng))),
    grads: Array.from({ length: STEPS }, () => SHAPES.map((shape) => roundF32(randomValues(shape, rng)))),
  };
}

function makeParams(problem: Problem): Tensor[] {
  return problem.initial.map((values, i) => tensor(Float32Array.from(values), { shape: SHAPES[i], requiresGrad: true }));
}

function setGrads(params: Tensor[], grads: Float64Array[]): void {
  params.forEach((p, i) => {
    p.zeroGrad();
    p.grad = tensor(Float32Array.from(grads[i]), { shape: SHAPES[i] });
  });
}

function run(optimizer: Optimizer, params: Tensor[], problem: Problem, from: number, to: number): void {
  for (let s = from; s < to; s++) {
    setGrads(params, problem.grads[s]);
    optimizer.lr = LRS[s];
    optimizer.step();
  }
}

// Each step rounds a handful of f32 operations on values of size ~1, so after 6 steps the
// parameters agree with float64 to about 1e-6, and the tolerance leaves a factor 10.
const TOL = { rtol: 1e-5, atol: 1e-5 };

const ADAM_CASES: [string, AdamHyper][] = [
  ['Adam defaults', { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupled: false }],
  ['Adam L2 decay', { betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1, decoupled: false }],
  ['AdamW decay', { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.3, decoupled: true }],
];

describe('Adam and AdamW', () => {
  for (const [name, hyper] of ADAM_CASES) {
    it(`${name} matches float64 over ${STEPS} steps`, async () => {
      const problem = makeProblem(1);
      const params = makeParams(problem);
      const options = { lr: LRS[0], betas: hyper.betas, eps: hyper.eps, weightDecay: hyper.weightDecay };
      const optimizer = hyper.decoupled ? new AdamW(params, options) : new Adam(params, options);
      run(optimizer, params, problem, 0, STEPS);
      for (let i = 0; i < params.length; i++) {
        const expected = referenceAdam(problem.initial[i], problem.grads.map((g) => g[i]), hyper);
        expectAllClose(await params[i].data(), expected, TOL, `${name} param ${i}`);
      }
    });
  }

  it('AdamW defaults to weight decay 1e-2', () => {
    const p = randn([2], { requiresGrad: true });
    expect(new AdamW([p]).weightDecay).toBe(1e-2);
    expect(new Adam([p]).weightDecay).toBe(0);
  });
});

const SGD_CASES: [string, SgdHyper][] = [
  ['plain', { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }],
  ['momentum with dampening and decay', { momentum: 0.9, dampening: 0.3, nesterov: false, weightDecay: 0.05 }],
  ['nesterov', { momentum: 0.8, dampening: 0, nesterov: true, weightDecay: 0.01 }],
];

describe('SGD', () => {
  for (const [name, hyper] of SGD_CASES) {
    it(`${name} matches float64 over ${STEPS} steps`, async () => {
      const problem = makeProblem(2);
      const params = makeParams(problem);
      const optimizer = new SGD(params, { lr: LRS[0], ...hyper });
      run(optimizer, params, problem, 0, STEPS);
      for (let i = 0; i < params.length; i++) {
        const expected = referenceSgd(problem.initial[i], problem.grads.map((g) => g[i]), hyper);
        expectAllClose(await params[i].data(), expected, TOL, `SGD ${name} param ${i}`);
      }
    });
  }

  it('rejects nesterov without momentum', () => {
    expect(() => new SGD([randn([2], { requiresGrad: true })], { lr: 0.1, nesterov: true })).toThrow(/nesterov needs momentum > 0/);
  });
});

describe('optimizer state', () => {
  const makers: [string, (params: Tensor[]) => Optimizer][] = [
    ['AdamW', (params) => new AdamW(params, { lr: 0.05, weightDecay: 0.1 })],
    ['SGD', (params) => new SGD(params, { lr: 0.05, momentum: 0.9, dampening: 0.1 })],
  ];

  for (const [name, make] of makers) {
    it(`${name} resumes bit-exactly from its state dict`, async () => {
      const problem = makeProblem(3);
      const straight = makeParams(problem);
      const straightOptimizer = make(straight);
      run(straightOptimizer, straight, problem, 0, STEPS);

      const first = makeParams(problem);
      const firstOptimizer = make(first);
      run(firstOptimizer, first, problem, 0, 3);
      const saved = firstOptimizer.stateDict();
      const savedTensors = Object.fromEntries(
        await Promise.all(Object.entries(saved.tensors).map(async ([k, t]) => [k, { shape: t.shape, data: await (t as Tensor).data() }])),
      );
      const savedParams = await Promise.all(first.map((p) => p.data()));

      const resumed = savedParams.map((data, i) => tensor(data, { shape: SHAPES[i], requiresGrad: true }));
      const resumedOptimizer = make(resumed);
      resumedOptimizer.lr = 123;
      resumedOptimizer.loadStateDict({ ...saved, tensors: savedTensors });
      expect(resumedOptimizer.lr).toBe(LRS[2]);
      expect(resumedOptimizer.stepCount).toBe(3);
      run(resumedOptimizer, resumed, problem, 3, STEPS);

      for (let i = 0; i < SHAPES.length; i++) {
        expect(await resumed[i].data(), `param ${i}`).toEqual(await straight[i].data());
      }
    });
  }

  it('rejects a state of another optimizer', () => {
    const params = [randn([2], { requiresGrad: true })];
    const state = new SGD(params, { lr: 0.1 }).stateDict();
    expect(() => new Adam(params).loadStateDict(state)).toThrow(/Adam.loadStateDict: the state was saved by SGD/);
  });

  it('rejects a state tensor of the wrong shape', () => {
    const params = [randn([2, 3], { requiresGrad: true })];
    const adam = new Adam(params);
    const state = { ...adam.stateDict(), steps: [1], tensors: { '0.exp_avg': randn([3, 2]) } };
    expect(() => adam.loadStateDict(state)).toThrow(/'0.exp_avg' has shape \[3,2\] but parameter 0 has \[2,3\]/);
  });

  it('frozen layer keeps its weights bit-identical', async () => {
    const rng = new Rng(4);
    const frozen = new Linear(4, 3, { rng, biasStd: 0.1 }).freeze();
    const trained = new Linear(3, 2, { rng });
    const optimizer = new Adam([...frozen.parameters(), ...trained.parameters()], { lr: 0.1 });
    const before = await frozen.weight.data();
    const trainedBefore = await trained.weight.data();
    const x = randn([5, 4], { rng, requiresGrad: true });
    for (let s = 0; s < 3; s++) {
      optimizer.zeroGrad();
      x.zeroGrad();
      trained.forward(frozen.forward(x)).mul(trained.forward(frozen.forward(x))).sum().backward();
      optimizer.step();
    }
    expect(await frozen.weight.data()).toEqual(before);
    expect(x.grad).not.toBeNull();
    const inputGrad = await x.grad!.data();
    expect(inputGrad.some((g) => g !== 0)).toBe(true);
    expect(await trained.weight.data()).not.toEqual(trainedBefore);
  });
});
