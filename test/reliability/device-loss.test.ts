// Device loss, simulated with device.destroy(): pending reads reject with the reason
// instead of hanging, the next op names the loss and init(), init() gives a working
// new device, and tensors of the old device fail with a clear error.
//
// Destroying a device while work is in flight crashed or hung the process with Dawn
// (webgpu 0.6.2) on Mesa 25 lavapipe. So every simulated loss first waits until the
// queue is idle. The read's mapAsync is then still pending in JavaScript.

import { afterAll, describe, expect, it } from 'vitest';
import { deviceGoneReason } from '../../src/gpu/device.js';
import { destroyDevice, flush, gpu, init, memory, poolStats, randn, Rng, tensor } from '../../src/index.js';

/** Rejects after `ms`, so a read that hangs fails the test instead of stalling it. */
function within<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Destroys the current device once its queue is idle, then waits for the lost event. */
async function loseDevice(): Promise<GPUDevice> {
  const device = gpu().device;
  await device.queue.onSubmittedWorkDone();
  device.destroy();
  await within(device.lost, 5000, 'lost event');
  return device;
}

function work(seed: number) {
  return randn([300, 200], { rng: new Rng(seed) }).exp().mul(0.5);
}

afterAll(async () => {
  await init();
});

describe('device lost', () => {
  it('pending read rejects with reason', async () => {
    await init();
    const read = work(1).data();
    await loseDevice();
    await expect(within(read, 5000, 'read')).rejects.toThrow(
      /^data\(\) of \[300,200\] from mul: read failed because the GPU device was lost \(destroyed: .*\); call init\(\) to get a new device$/,
    );
  });

  it('next op names loss and init', async () => {
    await init();
    const x = tensor([1, 2, 3]);
    await loseDevice();
    expect(() => tensor([4, 5])).toThrow(/^GPU device was lost: destroyed: .*\. Call init\(\) again to get a new device\.$/);
    expect(() => x.exp()).toThrow(/^GPU device was lost: destroyed: .*\. Call init\(\) again/);
    await expect(x.data()).rejects.toThrow(
      /^tensor \[3\] \(from tensor\) is unusable because its GPU device was lost \(destroyed: .*\); call init\(\) to get a new device, then create the tensor again/,
    );
  });

  it('init after loss works', async () => {
    const old = await init();
    const stale = tensor([1, 2, 3]).mul(2);
    await loseDevice();

    const fresh = await init();
    expect(fresh.device).not.toBe(old.device);
    expect(Array.from(await tensor([1.5, -2]).mul(2).data())).toEqual([3, -4]);
    expect(deviceGoneReason(old.device)).toMatch(/^was lost \(destroyed/);
    expect(deviceGoneReason(fresh.device)).toBeNull();
    await expect(stale.data()).rejects.toThrow(/^tensor \[3\] \(from mul\) is unusable because its GPU device was lost/);
    expect(() => stale.add(1)).toThrow(/is unusable because its GPU device was lost/);
  });

  it('old tensor dispose skips new pool', async () => {
    await init();
    const stale = randn([64, 5], { rng: new Rng(3) });
    await loseDevice();
    await init();
    flush();
    const pooled = poolStats().pooledBytes;
    const live = memory().liveTensors;
    stale.dispose();
    flush();
    expect(poolStats().pooledBytes, 'a dead buffer must not be handed out again').toBe(pooled);
    expect(memory().liveTensors).toBe(live - 1);
  });
});

describe('destroyDevice', () => {
  it('pending read rejects', async () => {
    await init();
    const read = work(4).data();
    const destroyed = destroyDevice();
    await expect(within(read, 5000, 'read')).rejects.toThrow(
      'data() of [300,200] from mul: read failed because the GPU device was destroyed by destroyDevice(); call init() to get a new device',
    );
    await within(destroyed, 5000, 'destroyDevice');
  });

  it('next op asks for init', async () => {
    await init();
    const x = tensor([1, 2]);
    const destroyed = destroyDevice();
    expect(() => tensor([1])).toThrow('talkgrad: the GPU device was destroyed by destroyDevice(); call `await init()` to get a new one.');
    await destroyed;
    await init();
    expect(() => x.neg()).toThrow(/^tensor \[2\] \(from tensor\) is unusable because its GPU device was destroyed by destroyDevice\(\)/);
    expect(Array.from(await tensor([1, 2]).neg().data())).toEqual([-1, -2]);
  });
});
