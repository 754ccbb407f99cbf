// Pieces shared by the CLI commands: the config flags, list parsing, GPU start-up with
// the adapter in the log, and the default run folder.

import { Option, type Command } from 'commander';
import { join } from 'node:path';

import { useMatmulTuningFile } from '../ops/matmul-tuning-node.js';
import { init, gpu } from '../gpu/device.js';
import type { ExperimentConfig } from '../experiments/experiment-config.js';
import { PRESET_NAMES, type ConfigFlags } from '../experiments/presets-node.js';

export interface ConfigOptions {
  preset?: string;
  config?: string;
  seeds?: number[];
  steps?: number;
  data?: string;
  out?: string;
}

/** Parses "0,1,2" into integers; the error names the flag. */
export function parseIntegerList(flag: string) {
  return (text: string): number[] => {
    const values = text.split(',').map((part) => part.trim());
    const numbers = values.map(Number);
    if (values.some((v) => !/^-?\d+$/.test(v))) throw new Error(`${flag} ${JSON.stringify(text)} is invalid: expected comma-separated integers, e.g. 0,1,2`);
    return numbers;
  };
}

/** Parses a positive integer; the error names the flag. */
export function parsePositiveInt(flag: string) {
  return (text: string): number => {
    if (!/^\d+$/.test(text) || Number(text) < 1) throw new Error(`${flag} ${JSON.stringify(text)} is invalid: expected a positive integer`);
    return Number(text);
  };
}

/** Parses "a,b,c" into names; "none" gives an empty list. */
export function parseNameList(text: string): string[] {
  if (text.trim() === 'none') return [];
  return text.split(',').map((part) => part.trim()).filter((part) => part !== '');
}

/** Adds --preset, --config, --seeds (unless `withSeeds` is false), --steps, --data and --out to a command. */
export function addConfigOptions(command: Command, stepsHelp: string, outHelp: string, withSeeds = true): Command {
  command
    .addOption(new Option('--preset <name>', 'preset config from configs/<name>.json, applied over the defaults in code').choices([...PRESET_NAMES]))
    .option('--config <file>', 'JSON config file applied over the preset (unknown keys, wrong types and out-of-range values are rejected with their key path)');
  if (withSeeds) command.option('--seeds <list>', 'comma-separated seeds, e.g. 0,1,2 (default: the config\'s, 0,1,2 in code)', parseIntegerList('--seeds'));
  return command
    .option('--steps <n>', stepsHelp, parsePositiveInt('--steps'))
    .option(
      '--data <folder>',
      'data folder: Fashion-MNIST or CIFAR files for images, an ml-100k or ml-latest-small folder for movielens. Without it, images use ' +
        '$TALKGRAD_DATA, then /usr/share/datasets/fashion-mnist, then the embedded subset. The demo preset uses the embedded subset unless --data is given, so its result is the same on every machine',
    )
    .option('--out <path>', outHelp);
}

export function configFlags(options: ConfigOptions, extra: Partial<ConfigFlags> = {}): ConfigFlags {
  return { seeds: options.seeds, steps: options.steps, data: options.data, ...extra };
}

/** Returns the run folder: --out, or runs/<config name>. */
export function runDirOf(options: ConfigOptions, config: ExperimentConfig, suffix = ''): string {
  return options.out ?? join('runs', `${config.name}${suffix}`);
}

/** Acquires the WebGPU device and logs the adapter; returns its name. */
export async function startGpu(log: (message: string) => void): Promise<string> {
  await init();
  // The matmul autotune runs once per adapter and machine, then its result is read from the cache file.
  useMatmulTuningFile();
  const name = gpu().adapterName;
  log(`adapter: ${name}`);
  return name;
}
