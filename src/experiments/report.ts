// Aggregates finished cells into the results tables: per task and method, the mean
// and standard error over seeds and the relative improvement over the scratch
// student, written as JSON, CSV and Markdown.

import type { CellResult } from './cells.js';
import { mean, relativeImprovement, standardError } from './stats.js';

export interface SummaryRow {
  task: string;
  method: string;
  metricName: string;
  higherIsBetter: boolean;
  mean: number;
  standardError: number;
  seeds: number;
  /** Percent, positive is better; null for scratch itself or when scratch is missing. */
  relativeImprovement: number | null;
  selection: string;
}

export interface Summary {
  rows: SummaryRow[];
  tasks: string[];
  methods: string[];
}

export function summarize(results: CellResult[], methodOrder: string[]): Summary {
  const groups = new Map<string, CellResult[]>();
  for (const r of results) {
    const key = `${r.cell.task}\u0000${r.cell.method}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const tasks = [...new Set(results.map((r) => r.cell.task))];
  const seen = new Set(results.map((r) => r.cell.method));
  const methods = [...methodOrder.filter((m) => seen.has(m)), ...[...seen].filter((m) => !methodOrder.includes(m))];

  const rows: SummaryRow[] = [];
  for (const task of tasks) {
    const scratch = groups.get(`${task}\u0000scratch`);
    const scratchMean = scratch ? mean(scratch.map((r) => r.evalMetric)) : null;
    for (const method of methods) {
      const group = groups.get(`${task}\u0000${method}`);
      if (!group) continue;
      const values = group.map((r) => r.evalMetric);
      const m = mean(values);
      const first = group[0];
      rows.push({
        task,
        method,
        metricName: first.metricName,
        higherIsBetter: first.higherIsBetter,
        mean: m,
        standardError: standardError(values),
        seeds: values.length,
        relativeImprovement:
          method === 'scratch' || scratchMean === null ? null : relativeImprovement(m, scratchMean, first.higherIsBetter),
        selection: [...new Set(group.map((r) => r.selection))].join('+'),
      });
    }
  }
  return { rows, tasks, methods };
}

function formatNumber(value: number, digits = 4): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

function formatImprovement(value: number | null): string {
  if (value === null) return '–';
  const text = value.toFixed(2);
  // Rounding can leave "-0.00"; a change below the printed precision shows as +0.00%.
  return text === '-0.00' ? '+0.00%' : `${value >= 0 ? '+' : ''}${text}%`;
}

export function toCsv(summary: Summary): string {
  const lines = ['task,method,metric,mean,standard_error,seeds,relative_improvement_percent,selection'];
  for (const r of summary.rows) {
    lines.push(
      [r.task, r.method, r.metricName, r.mean, r.standardError, r.seeds, r.relativeImprovement ?? '', r.selection].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

/** Markdown tables: the comparison of the main methods, then every other variant (ablations). */
export function toMarkdown(summary: Summary, mainMethods: string[], title: string, notes: string[] = []): string {
  const out: string[] = [`# ${title}`, ''];
  const table = (methods: string[], heading: string) => {
    const rows = summary.rows.filter((r) => methods.includes(r.method));
    if (rows.length === 0) return;
    out.push(`## ${heading}`, '');
    for (const task of summary.tasks) {
      const taskRows = rows.filter((r) => r.task === task);
      if (taskRows.length === 0) continue;
      const metric = taskRows[0].metricName;
      const direction = taskRows[0].higherIsBetter ? 'higher is better' : 'lower is better';
      out.push(`### ${task} (${metric}, ${direction})`, '');
      out.push(`| method | ${metric} (mean ± s.e.) | seeds | vs scratch | selection |`, '|---|---|---|---|---|');
      for (const r of taskRows) {
        out.push(
          `| ${r.method} | ${formatNumber(r.mean)} ± ${formatNumber(r.standardError)} | ${r.seeds} | ${formatImprovement(r.relativeImprovement)} | ${r.selection} |`,
        );
      }
      out.push('');
    }
  };
  table(mainMethods, 'Methods');
  // The TD row repeats in the ablation table as the reference of its variants.
  const variants = summary.methods.filter((m) => !mainMethods.includes(m));
  if (variants.length > 0) table(['td', ...variants], 'Ablations');
  if (notes.length > 0) out.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

/**
 * The overview table in the layout of Table 1 of the Talking Models paper: one row per
 * method, one column per task, each cell "mean ± s.e. (improvement over scratch)".
 * `teacherMetrics` adds a reference row where the teacher's head fits a task (null cells show n/a).
 */
export function toOverviewMarkdown(summary: Summary, methods: string[], teacherMetrics: Record<string, number | null> = {}): string {
  const rows = summary.rows.filter((r) => methods.includes(r.method));
  const tasks = summary.tasks.filter((task) => rows.some((r) => r.task === task));
  const header = tasks.map((task) => {
    const first = rows.find((r) => r.task === task) as SummaryRow;
    return `${task} (${first.metricName}, ${first.higherIsBetter ? 'higher' : 'lower'} is better)`;
  });
  const out = [`| method | ${header.join(' | ')} |`, `|---|${tasks.map(() => '---').join('|')}|`];
  if (Object.keys(teacherMetrics).length > 0) {
    const cells = tasks.map((task) => {
      const value = teacherMetrics[task];
      return value === null || value === undefined ? 'n/a' : formatNumber(value);
    });
    out.push(`| teacher (reference) | ${cells.join(' | ')} |`);
  }
  for (const method of summary.methods.filter((m) => methods.includes(m))) {
    const cells = tasks.map((task) => {
      const r = rows.find((row) => row.task === task && row.method === method);
      if (r === undefined) return '–';
      const improvement = r.relativeImprovement === null ? '' : ` (${formatImprovement(r.relativeImprovement)})`;
      return `${formatNumber(r.mean)} ± ${formatNumber(r.standardError)}${improvement}`;
    });
    out.push(`| ${method} | ${cells.join(' | ')} |`);
  }
  return out.join('\n') + '\n';
}
