// Tables and the JSON file of the step benchmark.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StepProfile } from '../../src/gpu/profiler.js';
import type { StepSummary } from './protocol.js';

/** How many ops of each profile the table lists, the ones with the most GPU time. */
export const TOP_OPS = 12;

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

/** Formats a fixed-width table; the columns in `textColumns` are left-aligned, the others (numbers) right-aligned. */
function table(header: string[], rows: string[][], textColumns: number[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (textColumns.includes(i) ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function stepTable(results: StepSummary[]): string {
  const header = ['model', 'framework', 'params', 'median ms', 'min ms', 'max ms', 'record ms', 'submits/step', 'dispatches/step', 'last loss', 'notes'];
  const rows = results.map((r) => [
    r.model,
    r.framework,
    String(r.parameters),
    fixed(r.medianMs, 1),
    fixed(r.minMs, 1),
    fixed(r.maxMs, 1),
    fixed(r.recordMs, 2),
    fixed(r.submitsPerStep, 1),
    fixed(r.dispatchesPerStep, 1),
    fixed(r.losses[r.losses.length - 1], 4),
    r.notes ?? '',
  ]);
  return table(header, rows, [0, 1, 10]);
}

export interface Ratio {
  model: string;
  talkgradMs: number;
  tfjsMs: number | null;
  /** tfjsMs / talkgradMs, how many times faster talkgrad is (the target is at least 3). */
  speedupVsTfjs: number | null;
  torchMs: number | null;
  torchFramework: string | null;
  /** torchMs / talkgradMs for the faster PyTorch thread count. */
  speedupVsTorch: number | null;
}

/** Compares talkgrad's median step with TF.js and with the faster PyTorch run, per reference model. */
export function ratios(results: StepSummary[]): Ratio[] {
  const out: Ratio[] = [];
  for (const own of results.filter((r) => r.framework === 'talkgrad')) {
    const tfjs = results.find((r) => r.model === own.model && r.framework === 'tfjs-webgpu');
    const torch = results
      .filter((r) => r.model === own.model && r.framework.startsWith('pytorch'))
      .sort((a, b) => a.medianMs - b.medianMs)[0];
    if (tfjs === undefined && torch === undefined) continue;
    out.push({
      model: own.model,
      talkgradMs: own.medianMs,
      tfjsMs: tfjs?.medianMs ?? null,
      speedupVsTfjs: tfjs === undefined ? null : tfjs.medianMs / own.medianMs,
      torchMs: torch?.medianMs ?? null,
      torchFramework: torch?.framework ?? null,
      speedupVsTorch: torch === undefined ? null : torch.medianMs / own.medianMs,
    });
  }
  return out;
}

/** Target against TensorFlow.js: a talkgrad step takes at most a third of its time. */
const TARGET_SPEEDUP_VS_TFJS = 3;

function targetStatus(speedup: number | null): string {
  if (speedup === null) return '-';
  return speedup >= TARGET_SPEEDUP_VS_TFJS ? `met (>= ${TARGET_SPEEDUP_VS_TFJS}x)` : `missed (< ${TARGET_SPEEDUP_VS_TFJS}x)`;
}

export function ratioTable(rows: Ratio[]): string {
  const header = ['model', 'faster torch', 'talkgrad ms', 'tfjs ms', 'tfjs/talkgrad', 'target', 'torch ms', 'torch/talkgrad'];
  return table(
    header,
    rows.map((r) => [
      r.model,
      r.torchFramework ?? '-',
      fixed(r.talkgradMs, 1),
      fixed(r.tfjsMs, 1),
      r.speedupVsTfjs === null ? '-' : `${fixed(r.speedupVsTfjs, 2)}x`,
      targetStatus(r.speedupVsTfjs),
      fixed(r.torchMs, 1),
      r.speedupVsTorch === null ? '-' : `${fixed(r.speedupVsTorch, 2)}x`,
    ]),
    [0, 1],
  );
}

export function profileTable(model: string, p: StepProfile): string {
  const title =
    `${model}: timing ${p.timing}, GPU ${fixed(p.gpuMs, 2)} ms (sum over dispatches), record ${fixed(p.recordMs, 2)} ms, ` +
    `wall ${fixed(p.wallMs, 2)} ms, ${p.dispatches} dispatches (${p.untimed} untimed), ${p.submits} submits`;
  if (p.byOp.length === 0) return title;
  const total = p.byOp.reduce((sum, op) => sum + op.gpuMs, 0);
  const top = [...p.byOp].sort((a, b) => b.gpuMs - a.gpuMs).slice(0, TOP_OPS);
  const rows = top.map((op) => [op.name, String(op.calls), fixed(op.gpuMs, 3), `${fixed((100 * op.gpuMs) / total, 1)}%`]);
  return `${title}\n${table(['op', 'calls', 'GPU ms', 'share'], rows, [0])}`;
}

export function writeJson(path: string, content: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(content, null, 2)}\n`);
}
