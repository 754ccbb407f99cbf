import { describe, expect, it } from 'vitest';
import { keep } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Optimizer, type OptimizerOptions } from '../../src/optim/optimizer.js';
import { createDistiller } from '../../src/td/distiller.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose } from '../helpers/check.js';
import { randomizeModule, readParameters, STUDENT_SIZES, TEACHER_SIZES, tinyBatch, tinyPair } from './fixtures.js';
import { mat, tdReference, tinyRef, type Mat, type Params, type TinyRef } from './reference.js';

/** Stores each parameter's gradient at step() and leaves the parameters unchanged. */
class GradientCapture extends Optimizer {
  grads: (Tensor | null)[] = [];

  constructor(params: Tensor[]) {
    super(params, 0, 'GradientCapture');
  }

  step(): void {
    this.grads = this.params.map((p) => (p.grad === null ? null : keep(p.grad.clone())));
  }

  protected hyperparameters(): OptimizerOptions {
    return {};
  }

  protected setHyperparameters(): void {}
}

describe('talking-model distillation gradients', () => {
  it('E_g gradient through teacher upper stage', async () => {
    const { teacher, student } = tinyPair();
    let capture: GradientCapture | null = null;
    const distiller = createDistiller<Tensor>({
      teacher,
      student,
      task: 'regression',
      optimizer: (params) => (capture = new GradientCapture(params)),
      // Without L_SC and L_MC, E_g reaches the loss only through round 0: D_h, the teacher's upper stage, E_h, D_g.
      config: { method: 'td', rounds: 1, wSC: 0, wMC: 0, wInteract: 1, messageDim: 4, hiddenDim: 6 },
    });
    const rng = new Rng(5);
    for (const [, module] of distiller.modules.named) randomizeModule(module, rng);
    const m = distiller.modules;
    const encoder = m.studentEncoder!;
    const modules = {
      studentEncoder: await readParameters(encoder),
      teacherEncoder: await readParameters(m.teacherEncoder!),
      studentDecoder: await readParameters(m.studentDecoder!),
      teacherDecoder: await readParameters(m.teacherDecoder!),
    };
    const batch = tinyBatch(4, 8);
    const x = mat(await batch.x.data(), 4, TEACHER_SIZES.input);
    const y = mat(await batch.y.data(), 4, 1);
    const studentRef = tinyRef(await readParameters(student), STUDENT_SIZES);
    const teacherRef = tinyRef(await readParameters(teacher), TEACHER_SIZES);
    const options = { rounds: 1, wSC: 0, wMC: 0, wInteract: 1, interactCovers: 'both' as const };

    await distiller.step(batch);
    const gpuGrads = capture!.grads;
    const names = encoder.namedParameters().map(([name]) => name);
    const offset = student.parameters().length;

    // Central differences of the float64 reference; `teacher` may hold its interpretation fixed.
    const numericGradient = (name: string, teacherFor: () => TinyRef) => {
      const eps = 1e-6;
      const base = modules.studentEncoder[name];
      const grad = new Float64Array(base.length);
      for (let i = 0; i < base.length; i++) {
        const loss = (delta: number) => {
          const perturbed: Params = { ...modules.studentEncoder, [name]: base.map((v, j) => (j === i ? v + delta : v)) };
          return tdReference(x, y, studentRef, teacherFor(), { ...modules, studentEncoder: perturbed }, options).total;
        };
        grad[i] = (loss(eps) - loss(-eps)) / (2 * eps);
      }
      return grad;
    };

    // The teacher's interpretation e~_h at the unperturbed weights, to cut the path through upper_h.
    let fixedInterpretation: Mat | null = null;
    const recording: TinyRef = { ...teacherRef, upper: (s) => (fixedInterpretation = teacherRef.upper(s)) };
    tdReference(x, y, studentRef, recording, modules, options);
    const interpretationHeld = (): TinyRef => {
      let calls = 0;
      return { ...teacherRef, upper: (s) => (calls++ === 0 ? teacherRef.upper(s) : (fixedInterpretation as Mat)) };
    };

    let pathContribution = 0;
    for (const [k, name] of names.entries()) {
      const gpu = gpuGrads[offset + k];
      expect(gpu, `${name} has a gradient`).not.toBeNull();
      const expected = numericGradient(name, () => teacherRef);
      // f32 backward through ~10 layers against float64 differences (error ~1e-9): 2e-3 relative covers f32 rounding.
      expectAllClose(await gpu!.data(), expected, { rtol: 2e-3, atol: 2e-5 }, `E_g ${name}`);
      const withoutUpper = numericGradient(name, interpretationHeld);
      for (let i = 0; i < expected.length; i++) pathContribution = Math.max(pathContribution, Math.abs(expected[i] - withoutUpper[i]));
    }
    // The part of the gradient that flows through upper_h is far above the tolerance.
    expect(pathContribution).toBeGreaterThan(1e-2);
  });
});
