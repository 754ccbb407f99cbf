// The bind-group and uniform caches: steady-state steps reuse bind groups, results
// stay right when only the parameters change, and an evicted uniform buffer lives
// until the pass that binds it has been submitted.

import { describe, expect, it } from 'vitest';
import { BindingCache } from '../../src/gpu/binding-cache.js';
import { STORAGE_USAGE } from '../../src/gpu/buffer-pool.js';
import { gpu } from '../../src/gpu/device.js';
import { getPipeline } from '../../src/gpu/pipelines.js';
import { bindingStats, packParams } from '../../src/gpu/runtime.js';
import { matmul, randn, Rng, tidy, type Tensor } from '../../src/index.js';
import { expectAllClose, gpuTensor, randomValues } from '../helpers/check.js';

const EXACT = { rtol: 0, atol: 0 };

describe('bind groups', () => {
  it('steady state reuses', async () => {
    const rng = new Rng(3);
    const x = randn([5, 7], { rng });
    const w = randn([7, 3], { rng }).requiresGrad_();
    const step = () =>
      tidy(() => {
        const loss = matmul(x, w).relu().mul(1.5).sum();
        loss.backward();
        return loss;
      });
    const run = async () => {
      const loss = step();
      await loss.item();
      loss.dispose();
    };
    // The gradient accumulates into a new buffer each step, so the buffers settle
    // into fixed roles after a few steps (the pool hands out its oldest buffer first).
    for (let i = 0; i < 5; i++) await run();
    const before = bindingStats();
    await run();
    await run();
    const after = bindingStats();
    expect(after.misses - before.misses).toBe(0);
    expect(after.hits - before.hits).toBeGreaterThan(4);
  });

  it('params change results', async () => {
    const rng = new Rng(4);
    const values = randomValues([3, 5], rng);
    const x = gpuTensor(values, [3, 5]);
    // Same pipeline and input, different scalars: each call needs its own uniform block.
    const outs: Tensor[] = [0.5, -2, 3.25].map((s) => x.mul(s));
    for (const [i, s] of [0.5, -2, 3.25].entries()) {
      expectAllClose(await outs[i].data(), values.map((v) => Math.fround(Math.fround(v) * s)), EXACT, `x * ${s}`);
    }
  });
});

describe('uniform eviction', () => {
  /** Records `out = v * a + b` with the runtime's unary shader through a private cache. */
  function record(cache: BindingCache, pass: GPUComputePassEncoder, input: GPUBuffer, output: GPUBuffer, scale: number): void {
    const { pipeline } = getPipeline(gpu().device, 'unary', { EXPR: 'v * a + b', HELPERS: '' }, () => {});
    const group = cache.bindGroup(pipeline, [input, output], packParams([['u32', 4], ['f32', scale], ['f32', 1]]), 'test');
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(1);
  }

  it('outlives its pass', async () => {
    const device = gpu().device;
    const cache = new BindingCache(device, { maxUniforms: 2, maxBindGroups: 64 });
    const input = device.createBuffer({ size: 16, usage: STORAGE_USAGE });
    device.queue.writeBuffer(input, 0, new Float32Array([1, 2, 3, 4]));
    const outputs = [0, 1, 2].map(() => device.createBuffer({ size: 16, usage: STORAGE_USAGE }));
    const staging = device.createBuffer({ size: 48, usage: 0x01 | 0x08 });

    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    // The third distinct uniform exceeds the cap of 2 and retires the first two while
    // this pass still binds them. They must survive until the submit.
    [2, 3, 5].forEach((scale, i) => record(cache, pass, input, outputs[i], scale));
    pass.end();
    outputs.forEach((out, i) => encoder.copyBufferToBuffer(out, 0, staging, 16 * i, 16));
    device.queue.submit([encoder.finish()]);
    cache.afterSubmit();
    expect(await device.popErrorScope()).toBeNull();

    await staging.mapAsync(0x01);
    const got = Array.from(new Float32Array(staging.getMappedRange().slice(0)));
    staging.unmap();
    expect(got).toEqual([3, 5, 7, 9, 4, 7, 10, 13, 6, 11, 16, 21]);
    expect(cache.stats().uniforms).toBe(1);
    for (const buffer of [input, staging, ...outputs]) buffer.destroy();
  });
});
