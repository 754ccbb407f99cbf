// Anomaly detection: the next read names the first op whose output has a NaN or an
// Inf, forward, backward and in place, without a GPU round trip per op. Stale pooled
// buffers, deliberate constants and int32 data must not raise false alarms.

import { afterEach, describe, expect, it } from 'vitest';
import { setMaxDispatchesPerSubmit, maxDispatchesPerSubmit } from '../../src/gpu/runtime.js';
import {
  adamUpdate,
  checkAnomalies,
  flush,
  full,
  randn,
  Rng,
  setDetectAnomaly,
  submitCount,
  tensor,
  zeros,
} from '../../src/index.js';
import { createDistiller } from '../../src/td/distiller.js';
import { adam, tinyBatch, tinyPair } from '../td/fixtures.js';

const defaultLimit = maxDispatchesPerSubmit;

afterEach(async () => {
  setDetectAnomaly(false);
  setMaxDispatchesPerSubmit(defaultLimit);
  // Clears flags left by a test that failed before it read them.
  await checkAnomalies().catch(() => undefined);
});

/** Values in [0.5, 2) of an awkward shape, so log, sqrt and division stay finite. */
function positive(shape: number[], seed: number) {
  return randn(shape, { rng: new Rng(seed), std: 0.2, mean: 1 }).clamp(0.5, 2);
}

describe('anomaly forward', () => {
  it('names first op and shape', async () => {
    setDetectAnomaly(true);
    const x = tensor([[1, 2, -3], [4, 5, 6], [0.5, 1, 1.5], [2, 3, 7]]);
    // log(-3) is the first NaN; exp and sum of it carry the NaN on.
    const y = x.log().exp().sum();
    await expect(y.item()).rejects.toThrow('anomaly: log produced NaN in its output [4,3] (forward, op #1)');
  });

  it('reports Inf separately', async () => {
    setDetectAnomaly(true);
    // exp(5) = 148 is finite in f32, exp(148) is not.
    const x = tensor([1, 2, 5, 3, 4]);
    await expect(x.exp().exp().data()).rejects.toThrow(/anomaly: exp produced Inf in its output \[5\] \(forward, op #2\)/);
  });

  it('later op not blamed', async () => {
    setDetectAnomaly(true);
    const a = positive([3, 5], 1).sqrt();
    const b = a.sub(a).div(a.sub(a));
    const c = b.mul(2);
    await expect(c.data()).rejects.toThrow(/anomaly: div produced NaN in its output \[3,5\] \(forward, op #\d+\)/);
  });

  it('finite run reads normally', async () => {
    setDetectAnomaly(true);
    const x = positive([7, 3], 2);
    const y = x.log().exp().mul(x).softmax(-1).sum(0);
    const values = await y.data();
    expect(values.length).toBe(3);
    expect(values.every(Number.isFinite)).toBe(true);
  });

  it('error is reported once', async () => {
    setDetectAnomaly(true);
    const bad = tensor([-1, 2]).log();
    await expect(bad.data()).rejects.toThrow(/anomaly: log/);
    const good = tensor([1, 2]).add(1);
    expect(Array.from(await good.data())).toEqual([2, 3]);
  });

  it('off returns NaN silently', async () => {
    const values = await tensor([-1, 4]).sqrt().data();
    expect(Number.isNaN(values[0])).toBe(true);
    expect(values[1]).toBe(2);
  });
});

describe('anomaly backward', () => {
  it('names backward of sqrt', async () => {
    setDetectAnomaly(true);
    const x = tensor([[1, 4, 9], [0, 16, 25]], { requiresGrad: true });
    const loss = x.sqrt().sum();
    expect(await loss.item()).toBe(15);
    loss.backward();
    // d sqrt(x) / dx = 1 / (2 sqrt(x)) is Inf at x = 0.
    await expect(x.grad!.data()).rejects.toThrow(
      'anomaly: sqrt backward produced Inf in its output [2,3] (backward of sqrt, op #',
    );
  });

  it('forward NaN found before backward', async () => {
    setDetectAnomaly(true);
    const x = tensor([2, -2, 3], { requiresGrad: true });
    const loss = x.log().mul(x).sum();
    loss.backward();
    await expect(x.grad!.data()).rejects.toThrow(/anomaly: log produced NaN in its output \[3\] \(forward, op #1\)/);
  });
});

describe('anomaly no false alarms', () => {
  it('stale NaN pool buffer', async () => {
    setDetectAnomaly(true);
    // A NaN buffer goes back to the pool and is handed to later outputs, which must
    // be scanned only after their kernels have overwritten it.
    for (let i = 0; i < 4; i++) {
      const stale = tensor(new Float32Array(6).fill(NaN), { shape: [2, 3], allowNonFinite: true });
      stale.dispose();
      flush();
      const out = positive([2, 3], 10 + i).mul(3).add(1).sum(1);
      expect((await out.data()).every(Number.isFinite), `round ${i}`).toBe(true);
    }
  });

  it('deliberate constants skipped', async () => {
    setDetectAnomaly(true);
    const mask = full([2, 3], -Infinity);
    const explicit = tensor([NaN, 1], { allowNonFinite: true });
    expect((await mask.data())[0]).toBe(-Infinity);
    expect(Number.isNaN((await explicit.data())[0])).toBe(true);
  });

  it('int32 bit patterns skipped', async () => {
    setDetectAnomaly(true);
    // -1 and -2^23 have all exponent bits set when read as float32.
    const ids = tensor(Int32Array.from([-1, -8388608, 5, 7]));
    const part = ids.slice(0, 0, 3);
    expect(Array.from(await part.dataInt32())).toEqual([-1, -8388608, 5]);
  });
});

describe('anomaly cost', () => {
  it('no submit per op', async () => {
    setDetectAnomaly(true);
    const x = positive([9, 4], 3);
    flush();
    const before = submitCount();
    let y = x;
    for (let i = 0; i < 30; i++) y = y.mul(0.9).add(0.05);
    expect(submitCount(), 'ops and their scans stay in the open batch').toBe(before);
    expect((await y.data()).every(Number.isFinite)).toBe(true);
  });

  it('works with a submit per dispatch', async () => {
    setDetectAnomaly(true);
    setMaxDispatchesPerSubmit(1);
    const x = positive([5, 6], 4);
    const fine = x.matmul(x.transpose()).softmax(-1).sum();
    expect(Number.isFinite(await fine.item())).toBe(true);
    const bad = x.sub(x).log().mul(x).sum();
    await expect(bad.item()).rejects.toThrow(/anomaly: log produced Inf in its output \[5,6\] \(forward/);
  });
});

describe('anomaly in place', () => {
  it('names adamUpdate', async () => {
    setDetectAnomaly(true);
    const param = positive([4, 3], 5);
    const grad = tensor(Float32Array.from([1, 2, NaN, 4, 5, 6, 7, 8, 9, 10, 11, 12]), { shape: [4, 3], allowNonFinite: true });
    adamUpdate(param, grad, zeros([4, 3]), zeros([4, 3]), { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1 });
    await expect(param.data()).rejects.toThrow(/anomaly: adamUpdate produced NaN in its output \[4,3\] \(in-place update, op #/);
  });
});

describe('anomaly distiller', () => {
  function build() {
    const { teacher, student } = tinyPair();
    return createDistiller({
      teacher,
      student,
      task: 'regression',
      optimizer: adam,
      config: { method: 'td', rounds: 1, messageDim: 5, hiddenDim: 8 },
    });
  }

  /** Builds a batch whose input has one NaN, so the student's first matmul is the first op to produce one. */
  function poisonedInput() {
    const batch = tinyBatch(5, 31);
    const values = Float32Array.from({ length: 35 }, (_, i) => (i === 8 ? NaN : Math.sin(i)));
    return { ...batch, x: tensor(values, { shape: [5, 7], allowNonFinite: true }) };
  }

  /** Builds a batch with one NaN target, so the NaN enters through the loss and not through the student. */
  function poisonedTargets() {
    const batch = tinyBatch(5, 32);
    return { ...batch, y: tensor([1.5, 2, NaN, 3, 2.5], { allowNonFinite: true }) };
  }

  it('step stops at first NaN', async () => {
    const distiller = build();
    await distiller.step(tinyBatch(5, 30));
    setDetectAnomaly(true);
    await expect(distiller.step(poisonedInput())).rejects.toThrow(
      /^Distiller\.step 1: anomaly: matmul produced NaN in its output \[5,3\] \(forward, op #1\)/,
    );
  });

  it('lossAverages rejects NaN', async () => {
    const distiller = build();
    await distiller.step(tinyBatch(5, 30));
    await distiller.step(poisonedTargets());
    await expect(distiller.lossAverages()).rejects.toThrow(
      /^Distiller\.lossAverages: loss 'total' averaged NaN over the 2 steps up to step 2; the training diverged/,
    );
  });

  it('lossAverages option keeps NaN', async () => {
    const { teacher, student } = tinyPair();
    const distiller = createDistiller({
      teacher,
      student,
      task: 'regression',
      optimizer: adam,
      config: { method: 'scratch' },
      stopOnNonFiniteLoss: false,
    });
    await distiller.step(poisonedTargets());
    expect(Number.isNaN((await distiller.lossAverages()).total)).toBe(true);
  });
});
