// Result rows of the kernel benchmark: the printed table and the JSON file.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { Pass } from './registry.js';
import type { Summary, TimingMethod } from './timer.js';

export interface ResultRow extends Partial<Summary> {
  family: string;
  variant: string;
  shape: string;
  pass: Pass;
  method?: TimingMethod;
  warmup?: number;
  /** Every timed run, in ms. */
  ms?: number[];
  gflops?: number;
  gbps?: number;
  /** Reason the row has no timing (failed reference check, error). */
  error?: string;
}

function fixed(value: number | undefined, digits: number): string {
  return value === undefined ? '-' : value.toFixed(digits);
}

/** Formats one result as a fixed-width table line. */
export function formatRow(row: ResultRow): string {
  let rate = '';
  if (row.gflops !== undefined) rate = `${fixed(row.gflops, 2)} GFLOP/s`;
  else if (row.gbps !== undefined) rate = `${fixed(row.gbps, 2)} GB/s`;
  const columns = [
    row.family.padEnd(12),
    row.variant.padEnd(14),
    row.shape.padEnd(16),
    row.pass.padEnd(8),
    fixed(row.medianMs, 2).padStart(10),
    fixed(row.minMs, 2).padStart(10),
    fixed(row.maxMs, 2).padStart(10),
    `${fixed(row.q1Ms, 2)}-${fixed(row.q3Ms, 2)}`.padStart(18),
    rate.padStart(16),
    `  ${row.method ?? ''}`,
  ];
  return row.error !== undefined ? `${columns.slice(0, 4).join(' ')}  ${row.error}` : columns.join(' ');
}

export const TABLE_HEADER = [
  'family'.padEnd(12),
  'variant'.padEnd(14),
  'shape'.padEnd(16),
  'pass'.padEnd(8),
  'median ms'.padStart(10),
  'min ms'.padStart(10),
  'max ms'.padStart(10),
  'IQR ms'.padStart(18),
  'rate (median)'.padStart(16),
  '  timing',
].join(' ');

export interface RunInfo {
  adapter: string;
  adapterInfo: Record<string, unknown>;
  args: string[];
  workModels: Record<string, string>;
  loadAverageStart: number[];
}

/** Writes the results with machine and adapter details to `path` (default bench/results/kernels-<date>.json). */
export function writeResults(rows: ResultRow[], info: RunInfo, path?: string): string {
  const date = new Date();
  const file = path ?? `bench/results/kernels-${date.toISOString().replace(/[:.]/g, '-')}.json`;
  const dir = file.slice(0, Math.max(file.lastIndexOf('/'), 0));
  if (dir !== '') mkdirSync(dir, { recursive: true });
  const document = {
    date: date.toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: { model: cpus()[0]?.model ?? 'unknown', logicalCores: cpus().length },
    loadAverage: { start: info.loadAverageStart, end: loadavg() },
    adapter: info.adapter,
    adapterInfo: info.adapterInfo,
    args: info.args,
    workModels: info.workModels,
    results: rows,
  };
  writeFileSync(file, JSON.stringify(document, null, 2) + '\n');
  return file;
}
