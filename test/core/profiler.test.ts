// The profiler: every dispatch of a step is counted and named, GPU times are positive
// where the adapter has timestamps, results are unchanged, and recording returns to
// one pass afterwards.

import { describe, expect, it } from 'vitest';
import { gpu } from '../../src/gpu/device.js';
import { TimestampRecorder } from '../../src/gpu/profiler.js';
import { dispatchCount, submitCount } from '../../src/gpu/runtime.js';
import { formatProfile, matmul, profileStep, randn, Rng, tidy, type Tensor } from '../../src/index.js';

function makeStep() {
  const rng = new Rng(8);
  const x = randn([9, 13], { rng });
  const w = randn([13, 5], { rng }).requiresGrad_();
  const run = (): Tensor =>
    tidy(() => {
      const loss = matmul(x, w).relu().sum();
      loss.backward();
      return loss;
    });
  return { w, run };
}

describe('profileStep', () => {
  it('counts every dispatch', async () => {
    const { run } = makeStep();
    const before = dispatchCount();
    let loss: Tensor | null = null;
    const profile = await profileStep(() => {
      loss = run();
    });
    expect(profile.dispatches).toBe(dispatchCount() - before);
    expect(profile.dispatches).toBeGreaterThan(3);
    expect(profile.byOp.reduce((n, op) => n + op.calls, 0) + profile.untimed).toBe(profile.dispatches);
    expect(profile.submits).toBe(1);
    expect(await loss!.item()).toBeGreaterThan(0);
  });

  it('names and times ops', async () => {
    const { run } = makeStep();
    const profile = await profileStep(() => run());
    if (!gpu().hasTimestamps) {
      expect(profile.timing).toBe('unavailable');
      return;
    }
    expect(profile.timing).toBe('gpu-timestamp');
    expect(profile.byOp.map((op) => op.name)).toContain('matmul');
    expect(profile.gpuMs).toBeGreaterThan(0);
    expect(profile.gpuMs).toBeLessThanOrEqual(profile.wallMs);
    expect(formatProfile(profile)).toMatch(/matmul +\d+ calls/);
  });

  it('same results as unprofiled', async () => {
    const plain = makeStep();
    const expected = await plain.run().item();
    const expectedGrad = await plain.w.grad!.data();
    const profiled = makeStep();
    let loss: Tensor | null = null;
    await profileStep(() => {
      loss = profiled.run();
    });
    expect(await loss!.item()).toBe(expected);
    expect(Array.from(await profiled.w.grad!.data())).toEqual(Array.from(expectedGrad));
  });

  it('caps timed dispatches', async () => {
    const { run } = makeStep();
    const profile = await profileStep(() => run(), { maxDispatches: 2 });
    if (profile.timing === 'unavailable') return;
    expect(profile.byOp.reduce((n, op) => n + op.calls, 0)).toBe(2);
    expect(profile.untimed).toBe(profile.dispatches - 2);
  });

  it('rejects bad capacity', async () => {
    await expect(profileStep(() => {}, { maxDispatches: 0 })).rejects.toThrow(/profileStep: maxDispatches must be a positive integer, got 0/);
  });

  it('one pass afterwards', async () => {
    const { run } = makeStep();
    await profileStep(() => run());
    const before = submitCount();
    await run().item();
    expect(submitCount() - before).toBe(1);
  });
});

describe('profileStep misuse', () => {
  it('untimed work not charged', () => {
    // A recorder with room for one dispatch, on a mock encoder that logs its passes. The
    // dispatches past the cap must get a pass of their own, so the timed pass ends (and
    // writes its end timestamp) right after the one timed dispatch.
    const passes: { timed: boolean; ended: boolean }[] = [];
    const encoder = {
      beginComputePass(descriptor?: GPUComputePassDescriptor) {
        const pass = { timed: descriptor?.timestampWrites !== undefined, ended: false, end: () => (pass.ended = true) };
        passes.push(pass);
        return pass;
      },
    } as unknown as GPUCommandEncoder;
    const device = { createQuerySet: () => ({}), createBuffer: () => ({}) } as unknown as GPUDevice;
    const recorder = new TimestampRecorder(device, 1);
    const first = recorder.passFor(encoder, null, 'add');
    const second = recorder.passFor(encoder, first, 'matmul');
    const third = recorder.passFor(encoder, second, 'matmul');
    expect(passes.map((p) => p.timed)).toEqual([true, false]);
    expect(passes[0].ended).toBe(true);
    expect(third).toBe(second);
    expect(recorder.names).toEqual(['add']);
    expect(recorder.untimed).toBe(2);
  });

  it('rejects nested profiles', async () => {
    const { run } = makeStep();
    let inner: Promise<unknown> | null = null;
    await profileStep(async () => {
      inner = profileStep(() => run());
      await expect(inner).rejects.toThrow(/profileStep: another profileStep is still running/);
    });
    const after = await profileStep(() => run());
    expect(after.dispatches).toBeGreaterThan(3);
  });

  it('usable after a throwing step', async () => {
    const { run } = makeStep();
    await expect(
      profileStep(() => {
        run();
        throw new Error('step failed');
      }),
    ).rejects.toThrow('step failed');
    const before = submitCount();
    expect(await run().item()).toBeGreaterThan(0);
    expect(submitCount() - before).toBe(1);
  });
});
