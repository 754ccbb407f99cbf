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
    row.variant.padEnd(22),
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
  'variant'.padEnd(22),
  'shape'.padEnd(16),
  'pass'.padEnd(8),
  'median ms'.padStart(10),
  'min ms'.padStart(10),
  'max ms'.padStart(10),
  'IQR ms'.padStart(18),
  'rate (median)'.padStart(16),
  '  timing',
].join(' ');

/** Prefix of variants that compose an op from primitive ops; each is compared with the family's library variant. */
export const COMPOSED_PREFIX = 'composed-';

/** Ratio of a composed variant's median time to the fused library kernel's, on one shape and pass. */
export interface Comparison {
  family: string;
  composed: string;
  fused: string;
  shape: string;
  pass: Pass;
  fusedMedianMs: number;
  composedMedianMs: number;
  /** composedMedianMs / fusedMedianMs: above 1 means the fused kernel is faster. */
  ratio: number;
}

/**
 * Pairs each timed row of a `composed-*` variant with the row of the library variant
 * (the one named after its family) on the same shape and pass.
 */
export function compareComposed(rows: ResultRow[]): Comparison[] {
  const comparisons: Comparison[] = [];
  for (const row of rows) {
    if (!row.variant.startsWith(COMPOSED_PREFIX) || row.medianMs === undefined) continue;
    const fused = rows.find((r) => r.variant === r.family && r.family === row.family && r.shape === row.shape && r.pass === row.pass);
    if (fused?.medianMs === undefined) continue;
    comparisons.push({
      family: row.family,
      composed: row.variant,
      fused: fused.variant,
      shape: row.shape,
      pass: row.pass,
      fusedMedianMs: fused.medianMs,
      composedMedianMs: row.medianMs,
      ratio: row.medianMs / fused.medianMs,
    });
  }
  return comparisons;
}

export const COMPARISON_HEADER = [
  'family'.padEnd(12),
  'shape'.padEnd(16),
  'pass'.padEnd(8),
  'fused ms'.padStart(10),
  'composed ms'.padStart(12),
  'composed/fused'.padStart(15),
].join(' ');

/** Formats one comparison as a fixed-width table line. */
export function formatComparison(c: Comparison): string {
  return [
    c.family.padEnd(12),
    c.shape.padEnd(16),
    c.pass.padEnd(8),
    c.fusedMedianMs.toFixed(2).padStart(10),
    c.composedMedianMs.toFixed(2).padStart(12),
    `${c.ratio.toFixed(2)}x`.padStart(15),
  ].join(' ');
}

export interface RunInfo {
  adapter: string;
  adapterInfo: Record<string, unknown>;
  args: string[];
  workModels: Record<string, string>;
  loadAverageStart: number[];
}

/** Writes the results and comparisons with machine and adapter details to `path` (default bench/results/kernels-<date>.json). */
export function writeResults(rows: ResultRow[], comparisons: Comparison[], info: RunInfo, path?: string): string {
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
    comparisons,
  };
  writeFileSync(file, JSON.stringify(document, null, 2) + '\n');
  return file;
}
