import { describe, expect, it } from 'vitest';
import { matmul } from '../../src/ops/matmul.js';
import { randn } from '../../src/ops/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { DistillConfig } from '../../src/td/config.js';
import { createDistiller, type DistillBatch, type TeacherHead } from '../../src/td/distiller.js';
import { Rng } from '../../src/util/rng.js';
import { adam, randomizeModule, readParameters, STUDENT_SIZES, TEACHER_SIZES, tinyBatch, tinyPair } from './fixtures.js';
import { block, concatCols, dense, klDistill, mat, mse, tinyRef, type Mat, type Params } from './reference.js';

interface Setup {
  config: Partial<DistillConfig>;
  classes?: number;
  teacherClasses?: number;
  teacherHead?: TeacherHead;
}

function crossEntropy(logits: Mat, labels: Float32Array): number {
  let total = 0;
  for (let i = 0; i < logits.rows; i++) {
    const row = Array.from(logits.data.subarray(i * logits.cols, (i + 1) * logits.cols));
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
    total += lse - row[labels[i]];
  }
  return total / logits.rows;
}

/** Builds the distiller, reads every weight back and returns the float64 forward passes beside the GPU step. */
async function run(setup: Setup, batch: DistillBatch<Tensor>, steps = 1) {
  const classes = setup.classes ?? 0;
  const { teacher, student } = tinyPair(classes, setup.teacherClasses ?? classes);
  const distiller = createDistiller<Tensor>({
    teacher,
    student,
    task: classes > 0 ? 'classification' : 'regression',
    optimizer: adam,
    teacherHead: setup.teacherHead,
    config: { messageDim: 5, hiddenDim: 8, ...setup.config },
  });
  const rng = new Rng(9);
  for (const [, module] of distiller.modules.named) randomizeModule(module, rng);
  const modules: Record<string, Params> = {};
  for (const [name, module] of distiller.modules.named) modules[name] = await readParameters(module);

  const x = mat(await batch.x.data(), batch.x.shape[0], TEACHER_SIZES.input);
  const labels = await batch.y.data();
  const s = tinyRef(await readParameters(student), { ...STUDENT_SIZES, out: classes });
  const t = tinyRef(await readParameters(teacher), { ...TEACHER_SIZES, out: setup.teacherClasses ?? classes });
  const sg = s.lower(x);
  const eg = s.upper(sg);
  const sh = t.lower(x);
  const eh = t.upper(sh);
  const ref = {
    modules,
    studentState: concatCols(sg, eg),
    teacherState: concatCols(sh, eh),
    studentY: s.head(eg),
    teacherE: eh,
    teacherY: t.head(eh),
    task: classes > 0 ? crossEntropy(s.head(eg), labels) : mse(s.head(eg), mat(labels, labels.length, 1)),
  };
  let result = await distiller.step(batch);
  for (let i = 1; i < steps; i++) result = await distiller.step(batch);
  const actual: Record<string, number> = {};
  for (const [name, tensor] of Object.entries(result.losses)) actual[name] = await (tensor as Tensor).item();
  return { ref, actual, distiller };
}

// f32 forward of at most 6 small layers: relative error ~1e-6, checked at 2e-5.
function expectClose(actual: number | undefined, expected: number, what: string): void {
  expect(actual, `${what} computed`).toBeDefined();
  expect(Math.abs(actual! - expected), `${what}: ${actual} vs ${expected}`).toBeLessThan(2e-5 * Math.max(1, Math.abs(expected)));
}

describe('baseline losses', () => {
  it('scratch is task loss', async () => {
    const { ref, actual } = await run({ config: { method: 'scratch' } }, tinyBatch(5, 1));
    expectClose(actual.task, ref.task, 'task');
    expectClose(actual.total, ref.task, 'total');
    expect(Object.keys(actual).sort()).toEqual(['task', 'total']);
  });

  it('ld regression squared error', async () => {
    const { ref, actual } = await run({ config: { method: 'ld', wLogit: 0.6 } }, tinyBatch(5, 2));
    const logit = mse(ref.studentY, ref.teacherY);
    expectClose(actual.logit, logit, 'logit');
    expectClose(actual.total, ref.task + 0.6 * logit, 'total');
  });

  it('ld classification KL', async () => {
    const { ref, actual } = await run({ config: { method: 'ld', wLogit: 0.8, temperature: 3 }, classes: 3 }, tinyBatch(6, 3, 3));
    const logit = klDistill(ref.studentY, ref.teacherY, 3);
    expect(logit, 'reference KL is positive').toBeGreaterThan(1e-3);
    expectClose(actual.task, ref.task, 'task');
    expectClose(actual.logit, logit, 'logit');
    expectClose(actual.total, ref.task + 0.8 * logit, 'total');
  });

  it('ld mismatched head rejected', async () => {
    await expect(run({ config: { method: 'ld' }, classes: 3, teacherClasses: 4 }, tinyBatch(4, 4, 3))).rejects.toThrow(/fitLinearProbe/);
  });

  it('ld uses teacher head override', async () => {
    const probeWeight = randn([TEACHER_SIZES.e, 3], { rng: new Rng(4) });
    const teacherHead: TeacherHead = { forward: (e) => matmul(e, probeWeight), description: 'linear probe on e_h' };
    const { ref, actual, distiller } = await run({ config: { method: 'ld' }, classes: 3, teacherClasses: 4, teacherHead }, tinyBatch(4, 5, 3));
    const teacherY = dense(ref.teacherE, Float64Array.from(await probeWeight.data()), new Float64Array(3), 3);
    expectClose(actual.logit, klDistill(ref.studentY, teacherY, 2), 'logit');
    expect(distiller.describe().teacherHead).toBe('linear probe on e_h');
  });

  it('fd message distance', async () => {
    const { ref, actual } = await run({ config: { method: 'fd', wFeature: 1.7 } }, tinyBatch(5, 6));
    const feature = mse(block(ref.modules.studentEncoder, ref.studentState), block(ref.modules.teacherEncoder, ref.teacherState));
    expectClose(actual.feature, feature, 'feature');
    expectClose(actual.total, ref.task + 1.7 * feature, 'total');
  });

  it('fitnet decodes raw teacher states', async () => {
    const { ref, actual, distiller } = await run({ config: { method: 'fitnet', wFitnet: 0.4 } }, tinyBatch(5, 7));
    expect(distiller.modules.named.map(([name]) => name)).toEqual(['studentDecoder']);
    const fitnet = mse(ref.studentState, block(ref.modules.studentDecoder, ref.teacherState));
    expectClose(actual.fitnet, fitnet, 'fitnet');
    expectClose(actual.total, ref.task + 0.4 * fitnet, 'total');
    expect(distiller.describe().fitnetTraining).toBe('one stage with the task loss');
  });

  it('fitnet hint stage', async () => {
    const { ref, actual } = await run({ config: { method: 'fitnet', wFitnet: 0.4, fitnetHintSteps: 2 } }, tinyBatch(5, 8));
    const fitnet = mse(ref.studentState, block(ref.modules.studentDecoder, ref.teacherState));
    expectClose(actual.total, 0.4 * fitnet, 'total is the hint loss alone');
  });

  it('fitnet after hint stage', async () => {
    const { actual } = await run({ config: { method: 'fitnet', fitnetHintSteps: 2 } }, tinyBatch(5, 9), 3);
    expect(actual.fitnet).toBeUndefined();
    expectClose(actual.total, actual.task!, 'total is the task loss');
  });

  it('hybrid is ld plus fd', async () => {
    const { ref, actual } = await run({ config: { method: 'hybrid', wLogit: 0.3, wFeature: 2.2 } }, tinyBatch(5, 10));
    const logit = mse(ref.studentY, ref.teacherY);
    const feature = mse(block(ref.modules.studentEncoder, ref.studentState), block(ref.modules.teacherEncoder, ref.teacherState));
    expectClose(actual.logit, logit, 'logit');
    expectClose(actual.feature, feature, 'feature');
    expectClose(actual.total, ref.task + 0.3 * logit + 2.2 * feature, 'total');
  });
});
