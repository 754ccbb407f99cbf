import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { matmul } from '../../src/ops/matmul.js';
import { randn } from '../../src/ops/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { distillerStateFromSafetensors, distillerStateToSafetensors } from '../../src/td/checkpoint.js';
import type { DistillConfig } from '../../src/td/config.js';
import { createDistiller } from '../../src/td/distiller.js';
import { Rng } from '../../src/util/rng.js';
import { adam, snapshot, STUDENT_SIZES, TEACHER_SIZES, tinyBatch, tinyPair, TinyModel } from './fixtures.js';

function build(config: Partial<DistillConfig>, classes = 0) {
  const { teacher, student } = tinyPair(classes);
  const distiller = createDistiller<Tensor>({
    teacher,
    student,
    task: classes > 0 ? 'classification' : 'regression',
    optimizer: adam,
    config: { messageDim: 5, hiddenDim: 8, ...config },
  });
  return { distiller, teacher, student };
}

async function changed(before: Float32Array[], after: Float32Array[]): Promise<boolean> {
  return after.some((values, i) => values.some((v, j) => v !== before[i][j]));
}

describe('distiller schedule', () => {
  it('ramp-up stages', async () => {
    const { distiller, student } = build({ method: 'td', rounds: 1, studentOnlySteps: 1, communicationOnlySteps: 1 });
    const modules = distiller.modules.named.map(([, m]) => m);
    const snap = async () => ({ student: await snapshot(student), modules: await Promise.all(modules.map(snapshot)) });

    const start = await snap();
    const first = await distiller.step(tinyBatch(4, 1));
    const afterFirst = await snap();
    expect(first.stage).toBe('studentOnly');
    expect(first.losses.interact, 'stage 1 uses the task loss only').toBeUndefined();
    expect(await changed(start.student, afterFirst.student), 'stage 1 trains the student').toBe(true);
    expect(await changed(start.modules.flat(), afterFirst.modules.flat()), 'stage 1 leaves E/D alone').toBe(false);

    const second = await distiller.step(tinyBatch(4, 2));
    const afterSecond = await snap();
    expect(second.stage).toBe('communicationOnly');
    expect(await changed(afterFirst.student, afterSecond.student), 'stage 2 freezes the student').toBe(false);
    for (const [k] of modules.entries()) {
      expect(await changed(afterFirst.modules[k], afterSecond.modules[k]), `stage 2 trains module ${k}`).toBe(true);
    }
    expect(student.parameters().every((p) => p.requiresGrad), 'student unfrozen after stage 2').toBe(true);

    const third = await distiller.step(tinyBatch(4, 3));
    expect(third.stage).toBe('joint');
    expect(await changed(afterSecond.student, await snapshot(student)), 'stage 3 trains the student').toBe(true);
  });

  it('baseline skips E/D-only stage', async () => {
    const { distiller, student } = build({ method: 'scratch', communicationOnlySteps: 1 });
    const before = await snapshot(student);
    const result = await distiller.step(tinyBatch(4, 4));
    expect(result.updated).toBe(false);
    expect(await changed(before, await snapshot(student))).toBe(false);
  });
});

describe('distiller teacher cache', () => {
  it('cached loss equals uncached', async () => {
    const batch = tinyBatch(5, 5, 0, [3, 9, 1, 4, 7]);
    const plain = build({ method: 'hybrid' }).distiller;
    const cached = build({ method: 'hybrid', cacheTeacher: true });
    const a = await plain.step(batch);
    const b = await cached.distiller.step(batch);
    expect(await b.losses.total.item()).toBe(await a.losses.total.item());
    const lowerCalls = cached.teacher.calls.lower;
    await cached.distiller.step(batch);
    expect(cached.teacher.calls.lower, 'second epoch reads the cache').toBe(lowerCalls);
  });

  it('cache needs batch index', async () => {
    const { distiller } = build({ method: 'fd', cacheTeacher: true });
    await expect(distiller.step(tinyBatch(3, 6))).rejects.toThrow(/cacheTeacher needs batch.index/);
  });

  it('interpretation still runs teacher', async () => {
    const { distiller, teacher } = build({ method: 'td', rounds: 2, cacheTeacher: true });
    const batch = tinyBatch(4, 7, 0, [0, 1, 2, 3]);
    await distiller.step(batch);
    const upperCalls = teacher.calls.upper;
    await distiller.step(batch);
    expect(teacher.calls.upper - upperCalls, 'two interpretations, no forward on x').toBe(2);
  });
});

describe('distiller checkpoint', () => {
  it('resume matches continuous run', async () => {
    const config: Partial<DistillConfig> = { method: 'td', rounds: 1, noiseStd: 0.2 };
    const batches = [tinyBatch(4, 11), tinyBatch(4, 12), tinyBatch(4, 13)];
    const original = build(config).distiller;
    await original.step(batches[0]);
    const saved = await distillerStateToSafetensors(original);
    const bytes = encodeSafetensors(saved.tensors, saved.metadata);
    const continued = [await (await original.step(batches[1])).losses.total.item(), await (await original.step(batches[2])).losses.total.item()];

    const resumed = build(config).distiller;
    resumed.loadStateDict(distillerStateFromSafetensors(decodeSafetensors(bytes, 'checkpoint')));
    expect(resumed.stepCount).toBe(1);
    const again = [await (await resumed.step(batches[1])).losses.total.item(), await (await resumed.step(batches[2])).losses.total.item()];
    expect(again).toEqual(continued);
  });

  it('rejects other method', async () => {
    const saved = build({ method: 'fd' }).distiller.stateDict();
    expect(() => build({ method: 'td' }).distiller.loadStateDict(saved)).toThrow(/saved by method 'fd', this distiller runs 'td'/);
  });
});

describe('distiller evaluation', () => {
  it('regression rmse', async () => {
    const { distiller, student } = build({ method: 'scratch' });
    const batches = [tinyBatch(3, 21), tinyBatch(4, 22)];
    const metrics = await distiller.evaluate(batches);
    let squared = 0;
    for (const batch of batches) {
      const y = await student.head(student.upper(student.lower(batch.x))).data();
      const target = await batch.y.data();
      y.forEach((v, i) => (squared += (v - target[i]) ** 2));
    }
    expect(metrics.count).toBe(7);
    expect(metrics.rmse).toBeCloseTo(Math.sqrt(squared / 7), 5);
  });

  it('classification accuracy', async () => {
    const { distiller } = build({ method: 'scratch' }, 3);
    const metrics = await distiller.evaluate([tinyBatch(6, 23, 3)]);
    expect(metrics.accuracy * 6).toBeCloseTo(Math.round(metrics.accuracy * 6), 10);
    expect(metrics.crossEntropy).toBeGreaterThan(0);
  });

  it('loss averages per part', async () => {
    const { distiller } = build({ method: 'td', rounds: 1, consistencyUntilStep: 1 });
    const first = await distiller.step(tinyBatch(4, 24));
    const totals = [await first.losses.total.item()];
    const consistency = await first.losses.stateConsistency!.item();
    const second = await distiller.step(tinyBatch(4, 25));
    totals.push(await second.losses.total.item());
    const averages = await distiller.lossAverages();
    expect(averages.total).toBeCloseTo((totals[0] + totals[1]) / 2, 5);
    expect(averages.stateConsistency, 'averaged over the one step that computed it').toBeCloseTo(consistency, 5);
    expect(await distiller.lossAverages()).toEqual({});
  });

  it('representations for CKA', () => {
    const { distiller } = build({ method: 'td' });
    const reps = distiller.representations(tinyBatch(4, 26).x);
    expect(Object.keys(reps)).toEqual(['s_h', 'e_h', 's_g', 'e_g', 'm_g']);
    expect(reps.s_h.shape).toEqual([4, TEACHER_SIZES.s]);
    expect(reps.m_g.shape).toEqual([4, 5]);
  });
});

/** Token version of TinyModel: states [B, T, D]; the head pools tokens by mean. */
class TokenModel extends TinyModel {
  override head(e: Tensor): Tensor {
    return matmul(e.mean(1), this.param('w3')).add(this.param('b3'));
  }
}

describe('distiller on token states', () => {
  for (const stateJoin of ['concat', 'flattenTokens'] as const) {
    it(`td step with ${stateJoin}`, async () => {
      const teacher = new TokenModel({ ...TEACHER_SIZES, out: 3 }, new Rng(1));
      const student = new TokenModel({ ...STUDENT_SIZES, out: 3 }, new Rng(2));
      const distiller = createDistiller<Tensor>({
        teacher,
        student,
        task: 'classification',
        optimizer: adam,
        config: { method: 'td', rounds: 2, messageDim: 6, hiddenDim: 7, stateJoin, tokenCount: 5 },
      });
      const batch = tinyBatch(2, 30, 3);
      const x = randn([2, 5, TEACHER_SIZES.input], { rng: new Rng(3) });
      const result = await distiller.step({ x, y: batch.y });
      expect(Number.isFinite(await result.losses.interact!.item())).toBe(true);
      const expectedMessage = stateJoin === 'concat' ? [2, 5, 6] : [2, 6];
      expect(distiller.representations(x).m_g.shape).toEqual(expectedMessage);
    });
  }
});
