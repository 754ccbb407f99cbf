// The demo page: acquires WebGPU, fetches the Fashion-MNIST subset, obtains a teacher,
// trains one student per method with a live loss chart and accuracy table, then fills
// the comparison table. A button times matmul kernels in the page.

import { init, type Gpu, type td, type Tensor } from '../../src/index.browser.js';
import { benchmarkMatmul } from './benchmark.js';
import { LineChart } from './chart.js';
import { configFromUrl, type DemoConfig } from './config.js';
import { disposeBatches, fixedBatches, loadSplit } from './data.js';
import { describeModel, modelConfig } from './models.js';
import { obtainTeacher, trainMethod, type MethodResult, type ProgressSink } from './training.js';
import { addRow, byId, formatNumber, setState, showError } from './ui.js';
import { explainInitFailure, findSupportProblem } from './webgpu-support.js';

const METHOD_TITLES: Partial<Record<td.MethodName, string>> = {
  scratch: 'scratch (labels only)',
  ld: 'label distillation',
  fd: 'feature distillation',
  fitnet: 'FitNet hints',
  hybrid: 'label + feature distillation',
  td: 'talking-model distillation',
};

const COLORS: Record<string, string> = { teacher: '#7f7f7f', scratch: '#1f77b4', ld: '#ff7f0e', fd: '#9467bd', td: '#d62728' };

/** Progress rows of the accuracy table, by series name. */
const progressRows = new Map<string, HTMLTableRowElement>();

function progressSink(chart: LineChart): ProgressSink {
  return {
    lossPoint: (series, step, loss) => chart.add(series, step, loss),
    accuracyPoint: (series, step, accuracy) => {
      let row = progressRows.get(series);
      if (row === undefined) {
        row = addRow(byId<HTMLTableSectionElement>('progress-body'), [METHOD_TITLES[series as td.MethodName] ?? series, '', '']);
        progressRows.set(series, row);
      }
      row.cells[1].textContent = String(step);
      const history = row.cells[2].textContent ?? '';
      row.cells[2].textContent = `${history}${history === '' ? '' : ' → '}${(100 * accuracy).toFixed(1)}%`;
    },
    status: (text) => setState('running', text),
  };
}

function addResultRow(result: MethodResult, baseline: number | null): void {
  const delta = baseline === null ? '-' : `${result.accuracy >= baseline ? '+' : ''}${(100 * (result.accuracy - baseline)).toFixed(1)}`;
  addRow(byId<HTMLTableSectionElement>('results-body'), [
    METHOD_TITLES[result.method] ?? result.method,
    `${(100 * result.accuracy).toFixed(1)}%`,
    delta,
    formatNumber(result.taskLoss, 3),
    result.studentParameters.toLocaleString('en-US'),
    result.communicationParameters.toLocaleString('en-US'),
    formatNumber(result.seconds, 1),
  ]);
}

function describeSetup(config: DemoConfig): string {
  return (
    `Preset '${config.name}': ${config.trainExamples} training and ${config.testExamples} test images, ` +
    `batch ${config.batchSize}, Adam lr ${config.learningRate}, ${config.steps} steps per student. ` +
    `Teacher: ${describeModel(modelConfig(config.teacher, 1))}. Student: ${describeModel(modelConfig(config.student, 2))}. ` +
    (config.name === 'quick' ? 'Open the page without ?quick=1 for the full run.' : 'Add ?quick=1 to the URL for a tiny run.')
  );
}

async function train(config: DemoConfig): Promise<void> {
  setState('running', 'fetching the Fashion-MNIST subset');
  const [trainSet, testSet] = await Promise.all([loadSplit('train'), loadSplit('test')]);
  const test: td.DistillBatch<Tensor>[] = fixedBatches(testSet, config.testExamples, 100);
  byId('dataset').textContent = `Fetched ${trainSet.n} training and ${testSet.n} test images over HTTP.`;

  const chart = new LineChart(byId<HTMLCanvasElement>('loss-chart'), { xLabel: 'step', yLabel: 'task loss', colors: COLORS });
  const sink = progressSink(chart);
  const teacher = await obtainTeacher(config, trainSet, test, sink);
  byId('teacher').textContent = `Teacher: ${teacher.origin}. Test accuracy ${(100 * teacher.accuracy).toFixed(1)}%.`;
  sink.accuracyPoint('teacher', teacher.steps, teacher.accuracy);

  let baseline: number | null = null;
  for (const method of config.methods) {
    const result = await trainMethod(method, config, teacher, trainSet, test, sink);
    if (method === 'scratch') baseline = result.accuracy;
    addResultRow(result, baseline);
  }

  disposeBatches(test);
  teacher.head?.dispose();
  teacher.model.dispose();
  setState('done', `done: trained ${config.methods.length} students for ${config.steps} steps each`);
}

function enableBenchmark(config: DemoConfig): void {
  const button = byId<HTMLButtonElement>('benchmark');
  const body = byId<HTMLTableSectionElement>('benchmark-body');
  button.disabled = false;
  button.addEventListener('click', async () => {
    button.disabled = true;
    body.replaceChildren();
    byId('benchmark-status').textContent = 'running';
    try {
      const rows = await benchmarkMatmul(config.benchmarkShapes);
      for (const row of rows) {
        addRow(body, [row.shape, formatNumber(row.milliseconds, 3), formatNumber(row.gflops, 2), String(row.repeats)]);
      }
      byId('benchmark-status').textContent = 'done';
    } catch (error) {
      byId('benchmark-status').textContent = `failed: ${(error as Error).message}`;
    } finally {
      button.disabled = false;
    }
  });
}

async function main(): Promise<void> {
  const config = configFromUrl(new URL(location.href));
  byId('setup').textContent = describeSetup(config);

  const problem = findSupportProblem();
  if (problem !== null) {
    showError(problem.title, problem.lines);
    return;
  }
  let device: Gpu;
  try {
    device = await init();
  } catch (error) {
    const explained = explainInitFailure(error);
    showError(explained.title, explained.lines);
    return;
  }
  const features = [device.hasF16 ? 'shader-f16' : null, device.hasSubgroups ? 'subgroups' : null].filter((f) => f !== null);
  byId('adapter').textContent = `Adapter: ${device.adapterName} (${device.featureLevel}${features.length > 0 ? `; ${features.join(', ')}` : ''})`;
  enableBenchmark(config);

  try {
    await train(config);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    showError('training failed', [message]);
  }
}

void main();
