// The charts of a run folder: per task, the task loss L(y, y_g) on the training batches
// and the validation metric against the step, one line per method, averaged over the
// seeds of the reported search point. Main methods and TD ablations get separate charts.

import type { CellResult } from './cells.js';
import { renderLineChart, type Series } from './line-chart.js';
import type { RgbaImage } from '../td/cka-heatmap.js';

export interface Chart {
  /** File name without folder, e.g. "fashion-mnist-5to9-validation.png". */
  name: string;
  image: RgbaImage;
}

/** Mean over seeds of one curve field at each step that every seed measured. */
function meanCurve(results: CellResult[], field: 'taskLoss' | 'validationMetric'): [number, number][] {
  const byStep = new Map<number, number[]>();
  for (const r of results) {
    for (const point of r.curve) {
      const value = point[field] ?? point.trainLoss;
      byStep.set(point.step, [...(byStep.get(point.step) ?? []), value]);
    }
  }
  return [...byStep.entries()]
    .filter(([, values]) => values.length === results.length)
    .sort((a, b) => a[0] - b[0])
    .map(([step, values]) => [step, values.reduce((a, b) => a + b, 0) / values.length]);
}

function seriesOf(results: CellResult[], task: string, methods: string[], field: 'taskLoss' | 'validationMetric'): Series[] {
  return methods
    .map((method) => ({ method, cells: results.filter((r) => r.cell.task === task && r.cell.method === method) }))
    .filter(({ cells }) => cells.length > 0)
    .map(({ method, cells }) => ({ name: method, points: meanCurve(cells, field) }));
}

/** Renders the charts of every task; `groups` maps a file suffix to the methods drawn in it. */
export function renderCurveCharts(results: CellResult[], groups: Record<string, string[]>): Chart[] {
  const charts: Chart[] = [];
  const tasks = [...new Set(results.map((r) => r.cell.task))];
  for (const task of tasks) {
    const metric = results.find((r) => r.cell.task === task)?.metricName ?? 'metric';
    for (const [suffix, methods] of Object.entries(groups)) {
      const loss = seriesOf(results, task, methods, 'taskLoss');
      if (loss.length === 0) continue;
      const tag = suffix === '' ? '' : `-${suffix}`;
      charts.push({
        name: `${task}${tag}-train-loss.png`,
        image: renderLineChart({ title: `${task}${tag}: task loss on training batches - mean over seeds`, xLabel: 'step', yLabel: 'task loss', series: loss }),
      });
      charts.push({
        name: `${task}${tag}-validation.png`,
        image: renderLineChart({
          title: `${task}${tag}: validation ${metric} - mean over seeds`,
          xLabel: 'step',
          yLabel: `validation ${metric}`,
          series: seriesOf(results, task, methods, 'validationMetric'),
        }),
      });
    }
  }
  return charts;
}
