import { describe, expect, it } from 'vitest';
import { adamUpdate, sgdUpdate, zeros } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gpuTensor, randomValues, roundF32 } from '../helpers/check.js';
import { LENGTHS } from './kernel-helpers.js';

interface AdamCase {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}

/** float64 transcription of torch.optim.Adam / AdamW (single-tensor, non-amsgrad) for one step. */
function referenceAdamStep(param: Float64Array, grad: Float64Array, m: Float64Array, v: Float64Array, c: AdamCase, step: number): void {
  const bc1 = 1 - c.beta1 ** step;
  const bc2Sqrt = Math.sqrt(1 - c.beta2 ** step);
  for (let i = 0; i < param.length; i++) {
    let g = grad[i];
    if (c.decoupled) param[i] *= 1 - c.lr * c.weightDecay;
    else if (c.weightDecay !== 0) g += c.weightDecay * param[i];
    m[i] += (1 - c.beta1) * (g - m[i]);
    v[i] = c.beta2 * v[i] + (1 - c.beta2) * g * g;
    param[i] -= (c.lr / bc1) * (m[i] / (Math.sqrt(v[i]) / bc2Sqrt + c.eps));
  }
}

interface SgdCase {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

/** float64 transcription of torch.optim.SGD (single-tensor) for one step. */
function referenceSgdStep(param: Float64Array, grad: Float64Array, buf: Float64Array, c: SgdCase, first: boolean): void {
  for (let i = 0; i < param.length; i++) {
    let g = grad[i] + c.weightDecay * param[i];
    if (c.momentum !== 0) {
      buf[i] = first ? g : c.momentum * buf[i] + (1 - c.dampening) * g;
      g = c.nesterov ? g + c.momentum * buf[i] : buf[i];
    }
    param[i] -= c.lr * g;
  }
}

const STEPS = 6;

// Each step adds a few f32 roundings relative to the update (lr-sized) and one of the
// parameter (O(1)): after 6 steps the drift is below 1e-6 absolute. m, v and the
// momentum buffer are averages of gradients up to 2 in size that may cancel, so their
// error is a few f32 ulps of those terms (6e-8 each) in absolute terms.
const PARAM_TOL = { rtol: 1e-6, atol: 2e-6 };
const STATE_TOL = { rtol: 1e-5, atol: 5e-7 };

describe('adamUpdate', () => {
  const cases: [string, AdamCase][] = [
    ['adam', { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false }],
    ['adam L2', { lr: 3e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupled: false }],
    ['adamW', { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05, decoupled: true }],
  ];
  for (const [name, c] of cases) {
    it(`${name} matches PyTorch over steps`, async () => {
      const rng = new Rng(91);
      for (const n of LENGTHS) {
        const param = roundF32(randomValues([n], rng));
        const m = new Float64Array(n);
        const v = new Float64Array(n);
        const p = gpuTensor(param, [n], true);
        const mt = zeros([n]);
        const vt = zeros([n]);
        for (let step = 1; step <= STEPS; step++) {
          // Gradients of mixed scale, so some elements have v near eps^2 and some large.
          const grad = roundF32(randomValues([n], rng, -1, 1).map((g, i) => g * 10 ** ((i % 5) - 3)));
          adamUpdate(p, gpuTensor(grad, [n]), mt, vt, { ...c, step });
          referenceAdamStep(param, grad, m, v, c, step);
        }
        expectAllClose(await p.data(), param, PARAM_TOL, `${name} n=${n} param`);
        expectAllClose(await mt.data(), m, STATE_TOL, `${name} n=${n} m`);
        expectAllClose(await vt.data(), v, STATE_TOL, `${name} n=${n} v`);
        expect(p.gradFn, 'no autograd record').toBeNull();
      }
    });
  }

  it('adamUpdate rejects bad input', () => {
    const p = zeros([3]);
    const options = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1 };
    expect(() => adamUpdate(p, zeros([4]), zeros([3]), zeros([3]), options)).toThrow(/grad \[4\] must have the shape of param \[3\]/);
    expect(() => adamUpdate(p, zeros([3]), zeros([3]), zeros([3]), { ...options, step: 0 })).toThrow(/step must be an integer >= 1/);
    expect(() => adamUpdate(p, p, zeros([3]), zeros([3]), options)).toThrow(/shares its storage with param/);
  });
});

describe('sgdUpdate', () => {
  const cases: [string, SgdCase][] = [
    ['sgd', { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }],
    ['sgd momentum dampening', { lr: 0.05, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0.01 }],
    ['sgd nesterov', { lr: 0.05, momentum: 0.8, dampening: 0, nesterov: true, weightDecay: 0 }],
  ];
  for (const [name, c] of cases) {
    it(`${name} matches PyTorch over steps`, async () => {
      const rng = new Rng(92);
      for (const n of LENGTHS) {
        const param = roundF32(randomValues([n], rng));
        const buf = new Float64Array(n);
        const p = gpuTensor(param, [n]);
        const bt = c.momentum !== 0 ? zeros([n]) : null;
        for (let step = 1; step <= STEPS; step++) {
          const grad = roundF32(randomValues([n], rng));
          sgdUpdate(p, gpuTensor(grad, [n]), bt, { ...c, firstStep: step === 1 });
          referenceSgdStep(param, grad, buf, c, step === 1);
        }
        expectAllClose(await p.data(), param, PARAM_TOL, `${name} n=${n} param`);
        if (bt !== null) expectAllClose(await bt.data(), buf, STATE_TOL, `${name} n=${n} buffer`);
      }
    });
  }

  it('sgdUpdate rejects bad input', () => {
    const p = zeros([3]);
    expect(() => sgdUpdate(p, zeros([3]), null, { lr: 0.1, momentum: 0.9 })).toThrow(/needs a momentumBuffer/);
    expect(() => sgdUpdate(p, zeros([3]), zeros([3]), { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(
      /nesterov needs momentum > 0 and dampening 0/,
    );
  });
});
