import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/tensor/tensor.js';
import { createDistiller, type DistillBatch } from '../../src/td/distiller.js';
import type { DistillConfig } from '../../src/td/config.js';
import { Rng } from '../../src/util/rng.js';
import { adam, randomizeModule, readParameters, snapshot, STUDENT_SIZES, TEACHER_SIZES, tinyBatch, TinyModel, tinyPair } from './fixtures.js';
import { mat, tdReference, tinyRef } from './reference.js';

function tdDistiller(config: Partial<DistillConfig>) {
  const { teacher, student } = tinyPair();
  const distiller = createDistiller<Tensor>({
    teacher,
    student,
    task: 'regression',
    optimizer: adam,
    config: { method: 'td', messageDim: 5, hiddenDim: 9, ...config },
  });
  const rng = new Rng(77);
  for (const [, module] of distiller.modules.named) randomizeModule(module, rng);
  return { distiller, teacher, student };
}

async function referenceLoss(config: Partial<DistillConfig> & { rounds: number }, batch: DistillBatch<Tensor>) {
  const { distiller, teacher, student } = tdDistiller(config);
  const m = distiller.modules;
  const modules = {
    studentEncoder: await readParameters(m.studentEncoder!),
    teacherEncoder: await readParameters(m.teacherEncoder!),
    studentDecoder: await readParameters(m.studentDecoder!),
    teacherDecoder: await readParameters(m.teacherDecoder!),
  };
  const x = mat(await batch.x.data(), batch.x.shape[0], TEACHER_SIZES.input);
  const y = mat(await batch.y.data(), batch.y.shape[0], 1);
  const expected = tdReference(x, y, tinyRef(await readParameters(student), STUDENT_SIZES), tinyRef(await readParameters(teacher), TEACHER_SIZES), modules, {
    rounds: config.rounds,
    wInteract: config.wInteract ?? 1,
    wSC: config.wSC ?? 1,
    wMC: config.wMC ?? 1,
    interactCovers: config.interactCovers ?? 'both',
  });
  const result = await distiller.step(batch);
  const actual: Record<string, number> = {};
  for (const [name, t] of Object.entries(result.losses)) actual[name] = await (t as Tensor).item();
  return { expected, actual };
}

describe('talking-model distillation step', () => {
  it('teacher weights bit-identical', async () => {
    const { distiller, teacher } = tdDistiller({ rounds: 2, noiseStd: 0.1, dropout: 0.2 });
    const before = await snapshot(teacher);
    await distiller.step(tinyBatch(6, 1));
    const after = await snapshot(teacher);
    after.forEach((values, i) => expect(Buffer.compare(Buffer.from(values.buffer), Buffer.from(before[i].buffer)), `teacher parameter ${i}`).toBe(0));
    expect(teacher.parameters().every((p) => p.grad === null), 'teacher has no gradients').toBe(true);
  });

  it('student and modules change', async () => {
    const { distiller, student } = tdDistiller({ rounds: 1 });
    const modules = [['student', student] as const, ...distiller.modules.named];
    expect(modules.map(([name]) => name)).toEqual(['student', 'studentEncoder', 'teacherEncoder', 'studentDecoder', 'teacherDecoder']);
    const before = await Promise.all(modules.map(([, m]) => snapshot(m)));
    await distiller.step(tinyBatch(6, 2));
    for (const [k, [name, module]] of modules.entries()) {
      const after = await snapshot(module);
      after.forEach((values, i) => {
        const changed = values.some((v, j) => v !== before[k][i][j]);
        expect(changed, `${name} parameter ${i} changed`).toBe(true);
      });
    }
  });

  it('k=0 computes no interaction', async () => {
    const { distiller, teacher, student } = tdDistiller({ rounds: 0, wInteract: 2.5 });
    const result = await distiller.step(tinyBatch(4, 3));
    expect(result.losses.interact).toBeUndefined();
    expect(result.losses.stateConsistency).toBeDefined();
    // One upper call each: the teacher's and the student's forward pass on x.
    expect(teacher.calls.upper).toBe(1);
    expect(student.calls.upper).toBe(1);
  });

  it('rounds run the upper stages', async () => {
    const { distiller, teacher, student } = tdDistiller({ rounds: 3 });
    await distiller.step(tinyBatch(4, 4));
    // Teacher: x plus one interpretation per round. Student: x plus a follow-up in every round but the last.
    expect(teacher.calls.upper).toBe(4);
    expect(student.calls.upper).toBe(3);
  });

  it('consistency stops after step', async () => {
    const { distiller, teacher } = tdDistiller({ rounds: 1, consistencyUntilStep: 1 });
    const first = await distiller.step(tinyBatch(4, 5));
    expect(first.losses.messageConsistency).toBeDefined();
    const lowerCalls = teacher.calls.lower;
    const second = await distiller.step(tinyBatch(4, 6));
    expect(second.losses.messageConsistency).toBeUndefined();
    expect(second.losses.stateConsistency).toBeUndefined();
    expect(teacher.calls.lower, 'teacher never sees x').toBe(lowerCalls);
  });

  for (const rounds of [0, 1, 2]) {
    it(`loss matches float64 reference k=${rounds}`, async () => {
      const config = { rounds, wInteract: 0.9, wSC: 0.7, wMC: 1.3 };
      const { expected, actual } = await referenceLoss(config, tinyBatch(5, 10 + rounds));
      // f32 through about 12 layers of width <= 11: relative error ~1e-6; 2e-5 leaves margin.
      for (const name of ['total', 'task', 'stateConsistency', 'messageConsistency']) {
        expect(Math.abs(actual[name] - expected[name]), `${name}: ${actual[name]} vs ${expected[name]}`).toBeLessThan(2e-5 * Math.max(1, Math.abs(expected[name])));
      }
      if (rounds === 0) expect(actual.interact).toBeUndefined();
      else expect(Math.abs(actual.interact - expected.interact), `interact ${actual.interact} vs ${expected.interact}`).toBeLessThan(2e-5 * Math.max(1, expected.interact));
      expect(expected.interact > 0 || rounds === 0, 'reference interaction is nonzero').toBe(true);
    });
  }

  it('interaction on e only', async () => {
    const { expected, actual } = await referenceLoss({ rounds: 2, interactCovers: 'e' }, tinyBatch(3, 20));
    expect(Math.abs(actual.interact - expected.interact)).toBeLessThan(2e-5 * Math.max(1, expected.interact));
    expect(Math.abs(actual.total - expected.total)).toBeLessThan(2e-5 * Math.max(1, expected.total));
  });

  it('noise changes interaction only', async () => {
    const batch = tinyBatch(5, 30);
    const plain = tdDistiller({ rounds: 1 }).distiller;
    const noisy = tdDistiller({ rounds: 1, noiseStd: 0.5 }).distiller;
    const a = await plain.step(batch);
    const b = await noisy.step(batch);
    expect(await b.losses.stateConsistency!.item()).toBe(await a.losses.stateConsistency!.item());
    expect(await b.losses.interact!.item()).not.toBe(await a.losses.interact!.item());
  });

  it('shared pair for equal dims', async () => {
    const teacher = new TinyModel(TEACHER_SIZES, new Rng(1));
    const student = new TinyModel(TEACHER_SIZES, new Rng(2));
    const distiller = createDistiller<Tensor>({ teacher, student, task: 'regression', optimizer: adam, config: { method: 'td', sharedCommunication: true } });
    expect(distiller.modules.named.map(([name]) => name)).toEqual(['sharedEncoder', 'sharedDecoder']);
    expect(distiller.modules.teacherEncoder).toBe(distiller.modules.studentEncoder);
    const result = await distiller.step(tinyBatch(3, 40));
    expect(Number.isFinite(await result.losses.total.item())).toBe(true);
  });

  it('shared pair needs equal dims', () => {
    expect(() => tdDistiller({ sharedCommunication: true })).toThrow(/sharedCommunication: student states \{s: 3, e: 4\} and teacher states \{s: 6, e: 5\} differ/);
  });
});
