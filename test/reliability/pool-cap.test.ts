// The buffer pool's cap (setPoolCap): released buffers above the cap are destroyed,
// lowering the cap frees pooled memory at once, and a steady loop reuses buffers
// instead of allocating new ones.

import { afterAll, describe, expect, it } from 'vitest';
import { flush, memory, poolStats, randn, Rng, setPoolCap, tidy, type Tensor } from '../../src/index.js';

const DEFAULT_CAP = 512 * 1024 * 1024;

afterAll(() => setPoolCap(DEFAULT_CAP));

/** Allocates tensors of the given element counts and disposes them; the buffers reach the pool at the next submit. */
function churn(sizes: number[], seed: number): void {
  const rng = new Rng(seed);
  const tensors: Tensor[] = sizes.map((n) => randn([n], { rng }));
  for (const t of tensors) t.dispose();
  flush();
}

describe('pool cap', () => {
  it('keeps pooled bytes under cap', () => {
    setPoolCap(DEFAULT_CAP);
    setPoolCap(0);
    setPoolCap(10_000);
    const allocated = poolStats().allocatedBytes;
    // 1,001 floats = 4,004 bytes, so each buffer takes a 4,096-byte bucket.
    churn([1001, 1001, 1001, 1001, 1001], 1);
    expect(poolStats().pooledBytes).toBe(2 * 4096);
    expect(poolStats().allocatedBytes, 'three of five buffers destroyed').toBe(allocated + 2 * 4096);
  });

  it('lower cap frees at once', () => {
    setPoolCap(DEFAULT_CAP);
    churn([300, 2000, 5000, 777, 64], 2);
    const before = poolStats();
    expect(before.pooledBytes).toBeGreaterThan(20_000);
    setPoolCap(8192);
    const after = poolStats();
    expect(after.pooledBytes).toBeLessThanOrEqual(8192);
    expect(before.allocatedBytes - after.allocatedBytes, 'freed bytes leave the allocation count').toBe(before.pooledBytes - after.pooledBytes);
  });

  it('cap zero pools nothing', () => {
    setPoolCap(0);
    expect(poolStats().pooledBytes).toBe(0);
    churn([17, 513, 4099], 3);
    expect(poolStats().pooledBytes).toBe(0);
  });

  it('steady loop reuses buffers', () => {
    setPoolCap(64 * 1024);
    const rng = new Rng(4);
    const x = randn([37, 11], { rng });
    const step = () => {
      tidy(() => {
        x.mul(1.5).exp().sum(1);
      });
      flush();
    };
    step();
    const allocated = poolStats().allocatedBytes;
    const live = memory().liveTensors;
    for (let i = 0; i < 50; i++) step();
    expect(poolStats().allocatedBytes).toBe(allocated);
    expect(memory().liveTensors).toBe(live);
    x.dispose();
  });

  it('rejects invalid cap', () => {
    expect(() => setPoolCap(-1)).toThrow('setPoolCap: bytes must be a finite number >= 0, got -1');
    expect(() => setPoolCap(Number.NaN)).toThrow('setPoolCap: bytes must be a finite number >= 0, got NaN');
    expect(() => setPoolCap(Infinity)).toThrow('setPoolCap: bytes must be a finite number >= 0, got Infinity');
  });
});
