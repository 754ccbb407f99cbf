// Exact resume with Dropout layers in the student and the teacher. A run is saved
// after SAVE_AT steps through safetensors bytes, as a checkpoint file would be, and
// continued in a freshly built distiller. Its losses and final state must equal those
// of an uninterrupted run bit for bit. The layers draw their mask seeds from their
// own generator or from the global one (manualSeed). The teacher's layer runs because
// teacherMode is 'train'.

import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { Dropout } from '../../src/nn/dropout.js';
import { manualSeed } from '../../src/ops/create.js';
import { distillerStateFromSafetensors, distillerStateToSafetensors, type DistillerState } from '../../src/td/checkpoint.js';
import type { DistillConfig } from '../../src/td/config.js';
import { createDistiller, type Distiller } from '../../src/td/distiller.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { CLASSES, makeDataset, makeSampler, RUN_CONFIG, stateBits, trainSteps, type Dataset } from '../reliability/td-run.js';
import { adam, STUDENT_SIZES, TEACHER_SIZES, TinyModel, type TinySizes } from './fixtures.js';

const TOTAL_STEPS = 7;
const SAVE_AT = 3;

/** TinyModel with a Dropout layer on s. Without `dropoutRng` the layer uses the global generator. */
class DropoutModel extends TinyModel {
  readonly dropout: Dropout;

  constructor(sizes: TinySizes, rng: Rng, p: number, dropoutRng?: Rng) {
    super(sizes, rng);
    this.dropout = this.registerModule('dropout', new Dropout(p, dropoutRng === undefined ? {} : { rng: dropoutRng }));
  }

  override lower(x: Tensor): Tensor {
    return this.dropout.forward(super.lower(x));
  }
}

interface Setup {
  /** Builds a fresh distiller; `resumed` is true for the one that loads the checkpoint. */
  build(resumed: boolean): Distiller<Tensor>;
}

const studentSizes: TinySizes = { ...STUDENT_SIZES, out: CLASSES };
const teacherSizes: TinySizes = { ...TEACHER_SIZES, out: CLASSES };

function distillerOf(teacher: TinyModel, student: TinyModel, config: Partial<DistillConfig> = RUN_CONFIG): Distiller<Tensor> {
  return createDistiller({ teacher, student, task: 'classification', optimizer: adam, config });
}

const SETUPS: [string, Setup][] = [
  [
    'student own generator',
    { build: () => distillerOf(new TinyModel(teacherSizes, new Rng(101)), new DropoutModel(studentSizes, new Rng(202), 0.4, new Rng(17))) },
  ],
  [
    'student global generator',
    {
      build: (resumed) => {
        // The resumed run starts from another global state, which the checkpoint must replace.
        manualSeed(resumed ? 77 : 31);
        return distillerOf(new TinyModel(teacherSizes, new Rng(101)), new DropoutModel(studentSizes, new Rng(202), 0.4));
      },
    },
  ],
  [
    'teacher train mode',
    {
      build: () =>
        distillerOf(new DropoutModel(teacherSizes, new Rng(101), 0.3, new Rng(19)), new TinyModel(studentSizes, new Rng(202)), {
          ...RUN_CONFIG,
          teacherMode: 'train',
        }),
    },
  ],
];

/** Saves a distiller to safetensors bytes and reads them back. */
async function roundTrip(distiller: Distiller<Tensor>): Promise<DistillerState> {
  const saved = await distillerStateToSafetensors(distiller);
  return distillerStateFromSafetensors(decodeSafetensors(encodeSafetensors(saved.tensors, saved.metadata), 'checkpoint'));
}

async function straightRun(setup: Setup, data: Dataset) {
  const distiller = setup.build(false);
  const losses = await trainSteps(distiller, makeSampler(), data, TOTAL_STEPS);
  const bits = await stateBits(distiller);
  distiller.dispose();
  return { losses, bits };
}

async function interruptedRun(setup: Setup, data: Dataset) {
  const first = setup.build(false);
  const sampler = makeSampler();
  const head = await trainSteps(first, sampler, data, SAVE_AT);
  const state = await roundTrip(first);
  first.dispose();

  const second = setup.build(true);
  second.loadStateDict(state);
  const tail = await trainSteps(second, sampler, data, TOTAL_STEPS - SAVE_AT);
  const bits = await stateBits(second);
  second.dispose();
  return { losses: [...head, ...tail], bits, state };
}

describe('distiller resume with Dropout layers', () => {
  for (const [name, setup] of SETUPS) {
    it(`${name} bit-exact`, async () => {
      const data = makeDataset();
      const expected = await straightRun(setup, data);
      const actual = await interruptedRun(setup, data);
      expect(actual.losses).toEqual(expected.losses);
      expect(Object.keys(actual.bits).sort()).toEqual(Object.keys(expected.bits).sort());
      for (const key of Object.keys(expected.bits)) expect(actual.bits[key], `bits of ${key}`).toBe(expected.bits[key]);
    });
  }

  it('generator keys', () => {
    const [, ownGenerator] = SETUPS[0];
    const state = ownGenerator.build(false).stateDict();
    expect(Object.keys(state.dropoutRngStates ?? {}).sort()).toEqual(['global', 'student.dropout']);
  });

  it('older checkpoint without generators', () => {
    const [, ownGenerator] = SETUPS[0];
    const { dropoutRngStates: _dropped, ...older } = ownGenerator.build(false).stateDict();
    const distiller = ownGenerator.build(true);
    distiller.loadStateDict(older);
    expect(distiller.stepCount).toBe(0);
  });

  it('rejects other Dropout layers', () => {
    const [, ownGenerator] = SETUPS[0];
    const [, teacherDropout] = SETUPS[2];
    const state = ownGenerator.build(false).stateDict();
    expect(() => teacherDropout.build(true).loadStateDict(state)).toThrow(
      /dropout generators of the state do not match this distiller's Dropout layers \(missing: teacher\.dropout; unexpected: student\.dropout\)/,
    );
  });
});
