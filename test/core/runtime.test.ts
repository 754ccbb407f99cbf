// The WebGPU runtime: every shader compiles, compile errors reach JavaScript,
// dispatches are batched into few submits, buffer limits give clear errors, and
// init() is idempotent.

import { describe, expect, it } from 'vitest';
import { gpu, init, type Gpu } from '../../src/gpu/device.js';
import { checkShader, type Defines } from '../../src/gpu/pipelines.js';
import { dispatch, grid, packParams } from '../../src/gpu/runtime.js';
import { SHADER_SOURCES, type ShaderName } from '../../src/gpu/shader-sources.js';
import { arange, matmul, memory, randn, Rng, submitCount, tensor, tidy, zeros, type Tensor } from '../../src/index.js';
import { UNARY_OPS, type UnaryOp } from '../../src/ops/elementwise.js';
import { rowDefines } from '../../src/ops/attention.js';
import { MATMUL_LOADS, MATMUL_MATH } from '../../src/ops/matmul.js';

const unaryOps: UnaryOp[] = Object.values(UNARY_OPS);
const BINARY_EXPRS = ['l + r', 'l - r', 'l * r', 'l / r', 'max(l, r)', 'select(0.0, 1.0, l >= r)', 'select(0.0, 1.0, l != r)'];
const EPILOGUES = [{ EPILOGUE: 'v', HELPERS: '' }, { EPILOGUE: 'max(v, 0.0)', HELPERS: '' }];
// The two operand loads of each matmul kernel, with one tiling each.
const MATMUL = [
  { LANES: 8, ROWS: 8, COLS: 2, B_ELEMENT: 'vec4f', LOAD_B: MATMUL_LOADS.vec4B, ...EPILOGUES[0], ...MATMUL_MATH.f32 },
  { LANES: 32, ROWS: 1, COLS: 1, B_ELEMENT: 'f32', LOAD_B: MATMUL_LOADS.stridedB, ...EPILOGUES[1], ...MATMUL_MATH.f32 },
];
const MATMUL_VECTOR = [
  { LANES: 8, N_COLS: 4, A_ELEMENT: 'vec4f', LOAD_A: MATMUL_LOADS.vec4A, B_ELEMENT: 'f32', LOAD_B: MATMUL_LOADS.stridedBColumn, ...EPILOGUES[0], ...MATMUL_MATH.f32 },
  { LANES: 32, N_COLS: 1, A_ELEMENT: 'f32', LOAD_A: MATMUL_LOADS.stridedA, B_ELEMENT: 'vec4f', LOAD_B: MATMUL_LOADS.vec4BColumn, ...EPILOGUES[1], ...MATMUL_MATH.f32 },
];
const LOG = [{ LOG: 'true' }, { LOG: 'false' }];
// The row kernels' team shapes: one thread per row, and one 256-thread team per workgroup.
const ROW_LAYOUTS = [{ THREADS_PER_ROW: 1, WORKGROUP_SIZE: 64 }, { THREADS_PER_ROW: 256, WORKGROUP_SIZE: 256 }];
const withRowLayouts = (variants: Defines[]): Defines[] => ROW_LAYOUTS.flatMap((layout) => variants.map((v) => ({ ...layout, ...v })));
// Head dims of 16 (vec4 rows, 4 rows per thread) and 5 (scalar rows, 2 per thread).
// Larger head dims compile for tens of seconds on llvmpipe, so they are left to the op tests.
const ATTENTION = [
  { HEAD_DIM: 16, ROWS: 8, RPT: 4, ...rowDefines(16) },
  { HEAD_DIM: 5, ROWS: 8, RPT: 2, ...rowDefines(5) },
];


/**
 * Representative specializations, matching the defines the ops in src/ops pass.
 * A shader missing here is compiled without defines, which fails (naming the
 * placeholder) if it has any.
 */
const VARIANTS: Partial<Record<ShaderName, Defines[]>> = {
  unary: unaryOps.map((op) => ({ EXPR: op.forward, HELPERS: op.helpers ?? '' })),
  'unary-backward': unaryOps.map((op) => ({ EXPR: op.backward, HELPERS: op.helpers ?? '' })),
  binary: BINARY_EXPRS.map((EXPR) => ({ EXPR })),
  'binary-2d': BINARY_EXPRS.map((EXPR) => ({ EXPR })),
  'binary-vec4': BINARY_EXPRS.map((EXPR) => ({ EXPR })),
  where: [{ COND: 'bits != 0u' }, { COND: '(bits & 0x7fffffffu) != 0u' }],
  reduce: withRowLayouts([{ IS_MAX: 'true' }, { IS_MAX: 'false' }]),
  'reduce-columns': [{ IS_MAX: 'true' }, { IS_MAX: 'false' }],
  matmul: MATMUL,
  'matmul-vector': MATMUL_VECTOR,
  'matmul-simple': EPILOGUES,
  softmax: withRowLayouts(LOG),
  'softmax-rows': LOG,
  'softmax-backward': withRowLayouts(LOG),
  layernorm: ROW_LAYOUTS,
  'layernorm-backward': ROW_LAYOUTS,
  'cross-entropy': ROW_LAYOUTS,
  'kl-divergence': ROW_LAYOUTS,
  'attention-forward': ATTENTION,
  'attention-backward-query': ATTENTION,
  'attention-backward-key': ATTENTION,
};

describe('shaders', () => {
  const names = Object.keys(SHADER_SOURCES) as ShaderName[];
  for (const name of names) {
    it(`${name} compiles`, async () => {
      for (const defines of VARIANTS[name] ?? [{}]) {
        const errors = await checkShader(gpu().device, name, defines);
        expect(errors, `${name}.wgsl with ${JSON.stringify(defines)}`).toEqual([]);
      }
    });
  }

  /** Records the unary kernel with a WGSL expression that does not compile. */
  function dispatchBroken(expr: string, x: Tensor, y: Tensor): void {
    dispatch({
      shader: 'unary',
      defines: { EXPR: expr, HELPERS: '' },
      buffers: [x.buffer, y.buffer],
      params: packParams([['u32', x.size], ['f32', 0], ['f32', 0]]),
      workgroups: grid(x.size, 256),
    });
  }

  it('compile error reaches next read', async () => {
    const y = zeros([3]);
    dispatchBroken('no_such_function(v)', tensor([1, 2, 3]), y);
    await expect(y.data()).rejects.toThrow(/WGSL error in unary\.wgsl .*no_such_function.*: line \d+:\d+: /s);
  });

  it('reads work after a compile error', async () => {
    const x = tensor([1, 2, 3]);
    dispatchBroken('v +', x, zeros([3]));
    await expect(x.data()).rejects.toThrow(/WGSL error in unary\.wgsl/);
    expect(Array.from(await x.mul(2).data())).toEqual([2, 4, 6]);
    expect(Array.from(await x.add(1).data())).toEqual([2, 3, 4]);
  });

  it('broken pipeline fails at reuse', async () => {
    const x = tensor([1, 2]);
    dispatchBroken('v * * 2.0', x, zeros([2]));
    await expect(x.data()).rejects.toThrow(/WGSL error in unary\.wgsl/);
    expect(() => dispatchBroken('v * * 2.0', x, zeros([2]))).toThrow(/WGSL error in unary\.wgsl .*: line \d+:\d+: /s);
    expect(Array.from(await x.data())).toEqual([1, 2]);
  });
});

describe('submits', () => {
  it('MLP step takes few submits', async () => {
    const rng = new Rng(1);
    const x = randn([4, 6], { rng });
    const w1 = randn([6, 9], { rng }).requiresGrad_();
    const b1 = randn([9], { rng }).requiresGrad_();
    const w2 = randn([9, 3], { rng }).requiresGrad_();
    await x.data();

    const before = submitCount();
    const loss = tidy(() => {
      const out = matmul(matmul(x, w1).add(b1).relu(), w2);
      const l = out.mul(out).mean();
      l.backward();
      return l;
    });
    // About 30 dispatches are recorded; nothing is submitted before the read.
    expect(submitCount() - before).toBe(0);
    await loss.item();
    expect(submitCount() - before).toBe(1);
    await w1.grad!.data();
    expect(submitCount() - before).toBe(2);
  });
});

describe('large grids', () => {
  it('reduce beyond 65535 rows', async () => {
    // 65537 rows need more workgroups than one grid dimension allows, so the rows
    // continue on the y axis. Row r contains 2r and 2r + 1, whose sum 4r + 1 is exact.
    const rows = 65537;
    const sums = await arange(0, 2 * rows).reshape([rows, 2]).sum(1).data();
    let wrong = 0;
    for (let r = 0; r < rows; r++) if (sums[r] !== 4 * r + 1) wrong++;
    expect(wrong).toBe(0);
  });
});

describe('limits', () => {
  it('too large tensor suggests smaller batch', () => {
    const limits = gpu().limits;
    const maxBytes = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
    const before = memory();
    const elements = Math.floor(maxBytes / 4) + 1;
    expect(() => zeros([elements])).toThrow(/full \[\d+\]: a buffer of \d+ bytes exceeds this adapter's limit of \d+ bytes .*use a smaller batch/);
    expect(memory().liveTensors).toBe(before.liveTensors);
    expect(memory().liveBytes).toBe(before.liveBytes);
  });
});

describe('init', () => {
  it('twice returns the same device', async () => {
    const first: Gpu = await init();
    const second: Gpu = await init();
    expect(second).toBe(first);
    expect(second.device).toBe(first.device);
  });

  it('concurrent calls share the device', async () => {
    const [a, b] = await Promise.all([init(), init()]);
    expect(a.device).toBe(b.device);
  });
});
