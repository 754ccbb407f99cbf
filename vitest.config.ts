import { defineConfig } from 'vitest/config';

// Every test file opens its own WebGPU device. On a software adapter (lavapipe) the
// adapter already uses every core, so files run one at a time in one forked process.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
