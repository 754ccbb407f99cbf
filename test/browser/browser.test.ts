// The library in Chromium. The browser bundle is free of Node-only code. Ops and
// gradients computed in the page match the same cases computed in Node. A few training
// steps lower the loss, and the demo page trains to the end and draws its chart.
//
// Node runs on lavapipe and the page on SwiftShader (both LLVM-compiled Vulkan), so the
// same WGSL gives results that differ by f32 rounding: FMA contraction and the few-ULP
// freedom of exp, log and inverseSqrt. Tolerances below cover that, with the reason.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser, REPO_ROOT } from '../../scripts/build.js';
import { findNodeReferences } from '../../scripts/build-check.js';
import { SHADER_SOURCES } from '../../src/gpu/shader-sources.js';
import * as talkgrad from '../../src/index.browser.js';
import { Rng } from '../../src/util/rng.js';
import { QUICK } from '../../examples/browser/config.js';
import { expectAllClose, randomValues, type Tolerance } from '../helpers/check.js';
import { runOpCase, runTraining, type CaseInputs, type CaseOutputs, type OpCaseName, type TrainingRun } from './cases.js';
import type { PageInfo } from './checks.js';
import { collectPageErrors, launchChromium, startSite, type Site } from './harness.js';
import { centralDifferences, matmul64, softmaxMatmulLoss64 } from './reference.js';

let site: Site;
let browser: Browser;
let page: Page;
let pageErrors: string[] = [];
let info: PageInfo;

/** Screenshots for a person to look at; test-artifacts/ is git-ignored. */
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts/browser');

function inputs(rng: Rng, shapes: Record<string, number[]>): CaseInputs {
  const result: CaseInputs = {};
  for (const [name, shape] of Object.entries(shapes)) result[name] = { shape, values: Array.from(randomValues(shape, rng)) };
  return result;
}

async function inPage(name: OpCaseName, caseInputs: CaseInputs): Promise<CaseOutputs> {
  try {
    return await page.evaluate(([n, i]) => window.talkgradChecks!.runOpCase(n, i), [name, caseInputs] as const);
  } catch (error) {
    throw new Error(`${name} failed in the page: ${(error as Error).message}\n${pageErrors.join('\n')}`);
  }
}

/** Runs `name` in the page and in Node and compares every output. */
async function expectPageMatchesNode(name: OpCaseName, caseInputs: CaseInputs, tol: Tolerance): Promise<CaseOutputs> {
  const fromPage = await inPage(name, caseInputs);
  const fromNode = await runOpCase(talkgrad, name, caseInputs);
  expect(Object.keys(fromPage).sort(), `${name} outputs`).toEqual(Object.keys(fromNode).sort());
  for (const output of Object.keys(fromNode)) {
    expectAllClose(fromPage[output], fromNode[output], tol, `${name} ${output}: page vs Node`);
  }
  return fromPage;
}

beforeAll(async () => {
  site = await startSite();
  browser = await launchChromium();
  page = await browser.newPage();
  pageErrors = collectPageErrors(page);
  await page.goto(`${site.server.url}/test/browser/checks.html`);
  await page.waitForFunction(() => window.talkgradChecks !== undefined, null, { timeout: 30_000 });
  info = await page.evaluate(() => window.talkgradChecks!.ready);
  if (info.error !== null) {
    throw new Error(
      `browser test: WebGPU is unavailable in Chromium: ${info.error}\n` +
        'Chromium needs --enable-unsafe-webgpu (set in test/browser/harness.ts) and a Vulkan driver (SwiftShader ships with Chromium).',
    );
  }
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('browser bundle', () => {
  it('has no Node-only references', () => {
    const problems = findNodeReferences(readFileSync(site.browserBundle, 'utf8'));
    expect(problems).toEqual([]);
  });

  it('inlines every shader', () => {
    const bundle = readFileSync(site.browserBundle, 'utf8');
    for (const [name, source] of Object.entries(SHADER_SOURCES)) {
      // The first comment line has no quotes or escapes, so esbuild prints it unchanged.
      const firstLine = source.split('\n')[0];
      expect(bundle.includes(firstLine), `shader ${name}: "${firstLine}"`).toBe(true);
    }
  });

  it('build rejects Node-only imports', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'talkgrad-build-'));
    try {
      const cases = {
        'node-file': `import { saveSafetensors } from '${REPO_ROOT}src/io/files-node.js'; console.log(saveSafetensors);`,
        builtin: "import { readFileSync } from 'fs'; console.log(readFileSync);",
        prefixed: "import { gzipSync } from 'node:zlib'; console.log(gzipSync);",
        dawn: "import { create } from 'webgpu'; console.log(create);",
      };
      for (const [name, source] of Object.entries(cases)) {
        writeFileSync(join(folder, `${name}.ts`), source);
        await expect(bundleForBrowser(join(folder, `${name}.ts`), join(folder, `${name}.js`)), name).rejects.toThrow(/Node-only/);
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('exports map names the built files', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    const root = pkg.exports['.'];
    const built = { browser: site.browserBundle, node: join(site.dist, 'talkgrad.node.js') };

    expect(root.browser.default, 'browser condition').toBe(`./dist/${basename(built.browser)}`);
    expect(root.node.default, 'node condition').toBe(`./dist/${basename(built.node)}`);
    expect(root.default.default, 'other environments').toBe(root.browser.default);
    expect(existsSync(built.node), 'Node bundle built').toBe(true);
  });

  it('check finds require and node: imports', () => {
    expect(findNodeReferences('const fs = __require("fs");')).toHaveLength(1);
    expect(findNodeReferences('import { join } from "node:path";')).toHaveLength(1);
    expect(findNodeReferences('const m = await import("url");')).toHaveLength(1);
    expect(findNodeReferences('import { a } from "./a.js"; const path = "node_modules";')).toEqual([]);
  });
});

describe('ops in Chromium', () => {
  it('adapter is WebGPU', () => {
    expect(info.adapterName, 'adapter name').toBeTruthy();
    expect(info.featureLevel, 'feature level').toMatch(/^(core|compatibility)$/);
  });

  it('matmul odd shapes', async () => {
    const rng = new Rng(11);
    for (const [m, k, n] of [[33, 17, 65], [1, 7, 1], [5, 300, 3]]) {
      const caseInputs = inputs(rng, { a: [m, k], b: [k, n] });
      // Both runs add the k products in the same order, so they differ only where a driver
      // fuses a multiply-add. Against float64, the f32 sum errs by about 2^-24 times the
      // root-sum-square of its partial sums: about 2e-5 for k = 300 and values in [-2, 2].
      const tol = { rtol: 1e-5, atol: 1e-4 };
      const { out } = await expectPageMatchesNode('matmul', caseInputs, tol);
      const exact = matmul64(caseInputs.a.values, caseInputs.b.values, m, k, n);
      expectAllClose(out, exact, tol, `matmul ${m}x${k}x${n}: page vs float64`);
    }
  });

  it('matmul batched broadcast', async () => {
    const caseInputs = inputs(new Rng(12), { a: [3, 5, 7], b: [7, 9] });
    await expectPageMatchesNode('matmul', caseInputs, { rtol: 1e-5, atol: 1e-5 });
  });

  it('softmax middle dim', async () => {
    // Each output is exp(x - max) / sum; exp may differ by a few ULP between drivers.
    await expectPageMatchesNode('softmax', inputs(new Rng(13), { x: [4, 37, 3] }), { rtol: 1e-5, atol: 1e-6 });
  });

  it('logSoftmax long rows', async () => {
    // Rows of 300 exceed the 256 threads of a workgroup; log-sum-exp of 300 terms of size <= e^4.
    await expectPageMatchesNode('logSoftmax', inputs(new Rng(14), { x: [3, 300] }), { rtol: 1e-5, atol: 1e-5 });
  });

  it('layerNorm odd width', async () => {
    const caseInputs = inputs(new Rng(15), { x: [5, 33], weight: [33], bias: [33] });
    await expectPageMatchesNode('layerNorm', caseInputs, { rtol: 1e-5, atol: 1e-5 });
  });

  it('attention causal odd lengths', async () => {
    const shape = { batch: 2, heads: 3, queries: 5, keys: 7, headDim: 8 };
    const caseInputs = inputs(new Rng(18), { q: [2, 3, 5, 8], k: [2, 3, 7, 8], v: [2, 3, 7, 8] });
    // Softmax weights sum to 1, so each output is a convex mix of v values in [-2, 2];
    // the tolerance covers exp rounding and 7-term sums.
    const tol = { rtol: 1e-5, atol: 1e-5 };
    const { out } = await expectPageMatchesNode('attention', caseInputs, tol);
    const exact = talkgrad.attentionReference(caseInputs.q.values, caseInputs.k.values, caseInputs.v.values, shape, { causal: true });
    expectAllClose(out, exact, tol, 'attention: page vs float64');
  });

  it('softmax matmul gradient', async () => {
    const [m, k, n] = [3, 5, 4];
    const caseInputs = inputs(new Rng(16), { x: [m, k], w: [k, n], c: [m, n] });
    const out = await expectPageMatchesNode('softmaxMatmulGradient', caseInputs, { rtol: 1e-5, atol: 1e-6 });

    // Gradient check: the page's gradients against central differences of the float64
    // loss at the f32-rounded inputs. The differences are exact to about 1e-9, so the
    // tolerance covers the f32 rounding of the page's forward and backward passes.
    const [x, w, c] = ['x', 'w', 'c'].map((name) => Float64Array.from(Float32Array.from(caseInputs[name].values)));
    const tol = { rtol: 1e-4, atol: 1e-5 };
    expectAllClose(out.loss, [softmaxMatmulLoss64(x, w, c, m, k, n)], tol, 'loss: page vs float64');
    expectAllClose(out.dx, centralDifferences(x, (v) => softmaxMatmulLoss64(v, w, c, m, k, n)), tol, 'dx: page vs differences');
    expectAllClose(out.dw, centralDifferences(w, (v) => softmaxMatmulLoss64(x, v, c, m, k, n)), tol, 'dw: page vs differences');
  });

  it('layerNorm gradient', async () => {
    const caseInputs = inputs(new Rng(17), { x: [4, 7], weight: [7], bias: [7], c: [4, 7] });
    // dx goes through 1 / sqrt(var + eps) and two row sums of 7 terms.
    await expectPageMatchesNode('layerNormGradient', caseInputs, { rtol: 1e-4, atol: 1e-5 });
  });

  it('attention gradient', async () => {
    const shape = { batch: 1, heads: 2, queries: 3, keys: 5, headDim: 4 };
    const caseInputs = inputs(new Rng(19), { q: [1, 2, 3, 4], k: [1, 2, 5, 4], v: [1, 2, 5, 4], c: [1, 2, 3, 4] });
    const out = await expectPageMatchesNode('attentionGradient', caseInputs, { rtol: 1e-4, atol: 1e-5 });

    // The float64 gradients of sum(out * c) from the library's own reference backward.
    const [q, k, v, c] = ['q', 'k', 'v', 'c'].map((name) => Float64Array.from(Float32Array.from(caseInputs[name].values)));
    const exact = talkgrad.attentionReferenceBackward(q, k, v, c, shape, { causal: true });
    const tol = { rtol: 1e-4, atol: 1e-5 };
    expectAllClose(out.dq, exact.dq, tol, 'dq: page vs float64');
    expectAllClose(out.dk, exact.dk, tol, 'dk: page vs float64');
    expectAllClose(out.dv, exact.dv, tol, 'dv: page vs float64');
  });

  it('ViT states and gradients', async () => {
    const caseInputs = inputs(new Rng(20), { images: [2, 1, 28, 28], c: [2, 17, 16] });
    // A chain of patch embedding, layerNorm, attention, GELU and five matmuls, each
    // adding its f32 rounding, so the tolerance is that of the longest single op test.
    const out = await expectPageMatchesNode('vitGradient', caseInputs, { rtol: 1e-4, atol: 1e-5 });
    expect(Object.keys(out).length, 'outputs: e, loss and one gradient per parameter').toBeGreaterThan(10);
  });
});

describe('training in Chromium', () => {
  it('MLP loss falls', async () => {
    const [seed, steps, learningRate] = [7, 15, 0.5];
    const run: TrainingRun = await page.evaluate(([s, n, lr]) => window.talkgradChecks!.runTraining(s, n, lr), [
      seed,
      steps,
      learningRate,
    ] as const);
    const first = run.losses[0];
    const last = run.losses[steps - 1];

    expect(run.losses, 'one loss per step').toHaveLength(steps);
    expect(run.losses.every(Number.isFinite), `finite losses: ${run.losses}`).toBe(true);
    expect(last, `loss ${first} -> ${last}`).toBeLessThan(0.7 * first);

    // 15 steps of plain SGD are not chaotic, so per-step rounding differences stay small.
    const fromNode = await runTraining(talkgrad, seed, steps, learningRate);
    expectAllClose(run.losses, fromNode.losses, { rtol: 1e-3, atol: 1e-5 }, 'losses: page vs Node');
  });
});

interface DemoSnapshot {
  state: string | undefined;
  status: string;
  adapter: string;
  accuracies: number[];
  progressRows: number;
  /** Canvas pixels in a saturated color, i.e. drawn by a series line (grid and text are gray). */
  linePixels: number;
}

async function snapshotDemo(demo: Page): Promise<DemoSnapshot> {
  return demo.evaluate(() => {
    const canvas = document.getElementById('loss-chart') as HTMLCanvasElement;
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let linePixels = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const [r, g, b] = [pixels[i], pixels[i + 1], pixels[i + 2]];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) linePixels++;
    }
    const results = [...document.querySelectorAll('#results-body tr')];
    return {
      state: document.body.dataset.state,
      status: document.getElementById('status')!.textContent ?? '',
      adapter: document.getElementById('adapter')!.textContent ?? '',
      accuracies: results.map((row) => parseFloat((row as HTMLTableRowElement).cells[1].textContent ?? '') / 100),
      progressRows: document.querySelectorAll('#progress-body tr').length,
      linePixels,
    };
  });
}

describe('demo page', () => {
  let demo: Page;
  let demoErrors: string[] = [];

  beforeAll(async () => {
    demo = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    demoErrors = collectPageErrors(demo);
  });

  it('quick run trains to done', async () => {
    await demo.goto(`${site.server.url}/examples/browser/?quick=1`);
    await demo
      .waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 240_000 })
      .catch(() => undefined);
    const snapshot = await snapshotDemo(demo);
    mkdirSync(ARTIFACTS, { recursive: true });
    await demo.screenshot({ path: join(ARTIFACTS, 'demo-quick.png'), fullPage: true });
    const context = `status "${snapshot.status}"\n${demoErrors.join('\n')}`;

    expect(snapshot.state, context).toBe('done');
    expect(snapshot.adapter, 'adapter line').toMatch(/^Adapter: (?!not acquired)/);
    expect(snapshot.accuracies, 'one result row per method').toHaveLength(QUICK.methods.length);
    // Ten classes: chance is 10%. Every student of the quick run reached more than 50%
    // in Node on lavapipe with the same seeds, so 30% leaves room for driver rounding.
    for (const [i, accuracy] of snapshot.accuracies.entries()) {
      expect(accuracy, `${QUICK.methods[i]} accuracy`).toBeGreaterThan(0.3);
    }
    expect(snapshot.progressRows, 'accuracy rows: teacher and each method').toBe(QUICK.methods.length + 1);
    expect(snapshot.linePixels, 'colored pixels of the loss lines').toBeGreaterThan(500);
  }, 300_000);

  it('benchmark fills its table', async () => {
    await demo.click('#benchmark');
    await demo.waitForFunction(() => document.getElementById('benchmark-status')!.textContent !== 'running', null, { timeout: 60_000 });
    const status = await demo.locator('#benchmark-status').textContent();
    const rates = await demo.$$eval('#benchmark-body tr', (rows) => rows.map((row) => parseFloat((row as HTMLTableRowElement).cells[2].textContent ?? '')));
    await demo.screenshot({ path: join(ARTIFACTS, 'demo-benchmark.png'), fullPage: true });

    expect(status, demoErrors.join('\n')).toBe('done');
    expect(rates, 'one row per shape').toHaveLength(QUICK.benchmarkShapes.length);
    expect(rates.every((rate) => rate > 0), `GFLOP/s ${rates}`).toBe(true);
  }, 120_000);

  it('explains a missing WebGPU', async () => {
    const page = await browser.newPage();
    // Hide WebGPU as a browser without it would.
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
    await page.goto(`${site.server.url}/examples/browser/?quick=1`);
    await page.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: 30_000 });
    const text = await page.locator('#error').textContent();
    await page.close();

    expect(text, 'names the missing API').toContain('navigator.gpu is undefined');
    expect(text, 'says what to enable').toContain('chrome://flags/#enable-unsafe-webgpu');
  });
});
