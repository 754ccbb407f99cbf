import { describe, expect, it } from 'vitest';
import { randn, tensor } from '../../src/ops/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { featureMatrix, linearCka } from '../../src/td/cka.js';
import { collectClassCka } from '../../src/td/cka-collect.js';
import { selectRows } from '../../src/td/cka-report.js';
import { createDistiller } from '../../src/td/distiller.js';
import { fitLinearProbe } from '../../src/td/linear-probe.js';
import { Rng } from '../../src/util/rng.js';
import { adam, TEACHER_SIZES, tinyBatch, tinyPair } from './fixtures.js';

describe('fitLinearProbe', () => {
  it('fits linearly separable labels', async () => {
    const { teacher } = tinyPair(0, 4);
    const rng = new Rng(40);
    const direction = Float64Array.from({ length: TEACHER_SIZES.e * 3 }, () => rng.normal());
    const batches = [];
    for (let b = 0; b < 3; b++) {
      const x = randn([16, TEACHER_SIZES.input], { rng });
      const e = await teacher.upper(teacher.lower(x)).data();
      // Labels are the argmax of a fixed linear map of e_h, so a linear probe can fit them.
      const labels = Int32Array.from({ length: 16 }, (_, i) => {
        const scores = [0, 1, 2].map((c) => Array.from({ length: TEACHER_SIZES.e }, (_, k) => e[i * TEACHER_SIZES.e + k] * direction[k * 3 + c]).reduce((a, v) => a + v, 0));
        return scores.indexOf(Math.max(...scores));
      });
      batches.push({ x, y: tensor(labels) });
    }
    const before = teacher.parameters().map((p) => p.requiresGrad);
    const probe = await fitLinearProbe(teacher, batches, { task: 'classification', classes: 3, epochs: 80, lr: 0.05 });
    expect(probe.trainMetrics.count).toBe(48);
    expect(probe.trainMetrics.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(probe.description).toMatch(/^linear probe on e_h \(80 epochs, train crossEntropy [\d.]+, train accuracy [\d.]+\)$/);
    expect(teacher.parameters().map((p) => p.requiresGrad), 'teacher parameters untouched').toEqual(before);

    const { student } = tinyPair(3);
    const distiller = createDistiller<Tensor>({ teacher, student, task: 'classification', optimizer: adam, teacherHead: probe, config: { method: 'ld' } });
    const result = await distiller.step(batches[0]);
    expect(Number.isFinite(await result.losses.logit!.item())).toBe(true);
    expect(distiller.describe().teacherHead).toBe(probe.description);
  });

  it('classification needs classes', async () => {
    const { teacher } = tinyPair();
    await expect(fitLinearProbe(teacher, [tinyBatch(2, 1)], { task: 'classification' })).rejects.toThrow(/needs classes/);
  });
});

describe('collectClassCka', () => {
  it('per-class matrices from the models', async () => {
    const { teacher, student } = tinyPair();
    const distiller = createDistiller<Tensor>({ teacher, student, task: 'regression', optimizer: adam, config: { method: 'td', messageDim: 4, hiddenDim: 6 } });
    const rng = new Rng(41);
    const x = randn([10, TEACHER_SIZES.input], { rng });
    const labels = [0, 2, 1, 0, 2, 0, 2, 0, 1, 2];
    const report = await collectClassCka(distiller, [{ x, y: tensor(Int32Array.from(labels)) }], { examplesPerClass: 3, classes: [2, 0] });
    expect(report.classes.map((c) => c.label)).toEqual([2, 0]);
    expect(report.studentRepresentations).toEqual(['s_g', 'e_g', 'm_g']);
    expect(report.teacherRepresentations).toEqual(['s_h', 'e_h']);

    const reps = distiller.representations(x);
    const matrix = async (t: Tensor) => featureMatrix(await t.data(), 10, t.shape[1]);
    const rows = [1, 4, 6];
    const expected = linearCka(selectRows(await matrix(reps.m_g), rows), selectRows(await matrix(reps.e_h), rows));
    expect(report.classes[0].cka[2][1]).toBeCloseTo(expected, 6);
  });
});
