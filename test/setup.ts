// Runs before every test file: silences Mesa's warning about XDG_RUNTIME_DIR and
// acquires the WebGPU device once per file.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { init } from '../src/gpu/device.js';
import { setMatmulTuning } from '../src/ops/matmul-tuning.js';

if (process.env.XDG_RUNTIME_DIR === undefined) {
  const dir = `${tmpdir()}/talkgrad-xdg`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}

await init();
// The fixed default tiling, so no test file pays for a background autotune; the tuning
// tests switch it on themselves.
setMatmulTuning('off');
