// `talkgrad compare` and `talkgrad distill`: run the cells of a sweep into a run folder
// and print the overview table to stdout. compare runs every method and ablation of
// the config; distill runs one method and saves every student for `talkgrad cka`.

import type { Command } from 'commander';

import { parseShard } from '../experiments/cells.js';
import type { RunHooks } from '../experiments/hooks.js';
import { ABLATION_NAMES } from '../experiments/methods.js';
import { MAIN_METHODS } from '../experiments/experiment-config.js';
import { loadExperimentConfig } from '../experiments/presets-node.js';
import { runSweep } from '../experiments/sweep-node.js';
import { addConfigOptions, configFlags, parseNameList, runDirOf, startGpu, type ConfigOptions } from './common.js';

interface SweepCommandOptions extends ConfigOptions {
  shard?: string;
  methods?: string[];
  ablations?: string[];
  method?: string;
}

async function sweepCommand(kind: 'compare' | 'distill', options: SweepCommandOptions, hooks: RunHooks): Promise<void> {
  const shard = options.shard === undefined ? null : parseShard(options.shard);
  const extra =
    kind === 'distill'
      ? { methods: MAIN_METHODS.includes(options.method as string) ? [options.method as string] : [], ablations: MAIN_METHODS.includes(options.method as string) ? [] : [options.method as string] }
      : { methods: options.methods, ablations: options.ablations };
  const config = await loadExperimentConfig({ preset: options.preset, configFile: options.config, flags: configFlags(options, extra) });
  const runDir = runDirOf(options, config, kind === 'distill' ? `-${options.method}` : '');
  const adapterName = await startGpu(hooks.log);
  hooks.log(`${kind}: start ${config.name} (${config.task}) in ${runDir}: methods ${[...config.methods, ...config.ablations].join(', ')}, seeds ${config.seeds.join(',')}, ${config.training.steps} steps per student`);

  const started = performance.now();
  const outcome = await runSweep({ config, runDir, shard, hooks, adapterName, saveStudents: kind === 'distill' ? 'all' : 'cka' });
  const minutes = (performance.now() - started) / 60000;
  hooks.log(`${kind}: end after ${minutes.toFixed(1)} min: ${outcome.ran} cells run, ${outcome.skipped} already finished, ${outcome.failed.length} failed; results in ${runDir}/results.md`);
  process.stdout.write(`\n${outcome.overview}\n`);
  if (outcome.failed.length > 0) {
    for (const { cell, error } of outcome.failed) hooks.log(`failed cell ${cell.task}/${cell.method}/seed ${cell.seed}: ${error}`);
    process.exitCode = 1;
  }
}

export function registerCompare(program: Command, hooks: () => RunHooks): void {
  const compare = program
    .command('compare')
    .description(
      'Run every method (scratch, ld, fd, fitnet, hybrid, td) and the TD ablations on every downstream task over several seeds, ' +
        'with the same step budget and search size per method, chosen on the validation split. Finished cells are skipped on rerun.',
    );
  addConfigOptions(compare, 'optimizer steps of every student (default: training.steps, 200 in code)', 'run folder (default runs/<name>)')
    .option('--methods <list>', `comma-separated main methods (${MAIN_METHODS.join(', ')}), or none`, parseNameList)
    .option('--ablations <list>', `comma-separated TD ablations (${ABLATION_NAMES.join(', ')}), or none`, parseNameList)
    .option('--shard <i/n>', 'run only every n-th cell starting at cell i (0 <= i < n); combine shards with talkgrad merge')
    .action(async (options: SweepCommandOptions) => sweepCommand('compare', options, hooks()));

  const distill = program
    .command('distill')
    .description('Distill with one method (or one TD ablation) on every downstream task and seed; saves each student under <out>/students for talkgrad cka.');
  addConfigOptions(distill, 'optimizer steps of every student (default: training.steps, 200 in code)', 'run folder (default runs/<name>-<method>)')
    .requiredOption('--method <name>', `method: ${[...MAIN_METHODS, ...ABLATION_NAMES].join(', ')}`)
    .option('--shard <i/n>', 'run only every n-th cell starting at cell i (0 <= i < n)')
    .action(async (options: SweepCommandOptions) => sweepCommand('distill', options, hooks()));
}
