// Rows of the peer benchmark: the printed table (one line per op, shape and pass,
// one column per library) and the JSON document.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PeerPass, Timing } from './peer.js';

export interface OutputCheck {
  /** Max |peer - talkgrad| over all outputs, and the max |talkgrad| it is measured against. */
  maxAbsDiff: number;
  maxAbsReference: number;
  tolerance: number;
  ok: boolean;
}

export interface LibraryResult {
  library: string;
  timing?: Timing;
  /** GPU time of the library's kernels from its own timestamp queries (ms), where it has them. */
  gpuMs?: number | null;
  /** GFLOP/s or GB/s at the median wall time. */
  rate?: number;
  check?: OutputCheck;
  /** Reason the library has no timing here (not supported, load failure, failed check). */
  error?: string;
}

export interface PeerRow {
  op: string;
  shape: string;
  pass: PeerPass;
  unit?: 'GFLOP/s' | 'GB/s';
  results: LibraryResult[];
  /** Median wall time of the fastest peer divided by talkgrad's: above 1, talkgrad is faster. */
  speedup?: number;
  fasterPeer?: string;
}

const COLUMN = 24;

function cell(result: LibraryResult | undefined): string {
  if (result === undefined) return '-';
  if (result.timing === undefined) {
    if (result.error?.startsWith('not loaded')) return 'not loaded';
    return result.error?.startsWith('not run') ? 'n/a' : 'error*';
  }
  const t = result.timing;
  return `${t.medianMs.toFixed(2)} (${t.minMs.toFixed(2)}-${t.maxMs.toFixed(2)})`;
}

function rate(result: LibraryResult | undefined): string {
  return result?.rate === undefined ? '-' : result.rate.toFixed(2);
}

function gpuCell(result: LibraryResult | undefined): string {
  return typeof result?.gpuMs === 'number' ? result.gpuMs.toFixed(2) : '-';
}

/** `gpuLibraries` get an extra column with their own GPU timestamp figure. */
export function tableHeader(libraries: string[], gpuLibraries: string[]): string {
  const times = libraries.map((l) => `${l} ms`.padStart(COLUMN));
  const rates = libraries.map((l) => `${l} rate`.padStart(12));
  const gpu = gpuLibraries.map((l) => `${l} gpu ms`.padStart(14));
  return ['op'.padEnd(12), 'shape'.padEnd(16), 'pass'.padEnd(17), ...times, ...rates, 'speedup'.padStart(8), 'vs'.padEnd(10), ...gpu].join(' ');
}

/** Formats one row: median (min-max) wall ms per library, rates, and talkgrad's speedup over the fastest peer. */
export function formatPeerRow(row: PeerRow, libraries: string[], gpuLibraries: string[]): string {
  const byName = new Map(row.results.map((r) => [r.library, r]));
  const times = libraries.map((l) => cell(byName.get(l)).padStart(COLUMN));
  const rates = libraries.map((l) => rate(byName.get(l)).padStart(12));
  const gpu = gpuLibraries.map((l) => gpuCell(byName.get(l)).padStart(14));
  const speedup = row.speedup === undefined ? '-' : `${row.speedup.toFixed(2)}x`;
  return [row.op.padEnd(12), row.shape.padEnd(16), row.pass.padEnd(17), ...times, ...rates, speedup.padStart(8), (row.fasterPeer ?? '').padEnd(10), ...gpu].join(' ');
}

/** Returns one line per library error of a row, for the notes under the table. */
export function rowNotes(row: PeerRow): string[] {
  const notes: string[] = [];
  for (const r of row.results) {
    const where = `${row.op} ${row.shape} ${row.pass} ${r.library}`;
    const printedElsewhere = r.error?.startsWith('not run') || r.error?.startsWith('not loaded');
    if (r.error !== undefined && !printedElsewhere) notes.push(`* ${where}: ${r.error}`);
  }
  return notes;
}

/** Fills in the speedup of talkgrad over the fastest peer with a timing. */
export function computeSpeedup(row: PeerRow): void {
  const talkgrad = row.results.find((r) => r.library === 'talkgrad')?.timing;
  const peers = row.results.filter((r) => r.library !== 'talkgrad' && r.timing !== undefined);
  if (talkgrad === undefined || peers.length === 0) return;
  const fastest = peers.reduce((best, r) => (r.timing!.medianMs < best.timing!.medianMs ? r : best));
  row.speedup = fastest.timing!.medianMs / talkgrad.medianMs;
  row.fasterPeer = fastest.library;
}

export interface PeerRunInfo {
  args: string[];
  adapter: string;
  adapterInfo: Record<string, unknown>;
  versions: Record<string, string>;
  loadErrors: Record<string, string>;
  timing: string;
  tolerance: string;
  loadAverageStart: number[];
  loadAverageEnd: number[];
}

/** Writes rows and run details as JSON to `path` (default bench/results/peers-<date>.json) and returns the path. */
export function writePeerResults(rows: PeerRow[], info: PeerRunInfo, path?: string): string {
  const date = new Date();
  const file = path ?? `bench/results/peers-${date.toISOString().replace(/[:.]/g, '-')}.json`;
  mkdirSync(dirname(file), { recursive: true });
  const document = { date: date.toISOString(), node: process.version, platform: `${process.platform} ${process.arch}`, ...info, results: rows };
  writeFileSync(file, JSON.stringify(document, null, 2) + '\n');
  return file;
}
