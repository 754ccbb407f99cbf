// Resolves the config of a command: the defaults in code, then a preset file from
// configs/, then the user's --config file, then the command-line flags. Each layer is
// validated with its own name in errors (e.g. "configs/demo.json: training.steps ...").

import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Json } from './config-schema.js';
import { DEFAULT_EXPERIMENT, resolveExperiment, type ExperimentConfig } from './experiment-config.js';

export const PRESET_NAMES = ['demo', 'movielens', 'movielens-paper', 'vit-paper'] as const;

/** The folder of the preset files (configs/ at the repository root). */
export const PRESET_DIR = fileURLToPath(new URL('../../configs/', import.meta.url));
const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Settings given as command-line flags; absent ones keep the config's values. */
export interface ConfigFlags {
  seeds?: number[];
  steps?: number;
  /** Data folder for every image task, the teacher's pre-training data and MovieLens. */
  data?: string;
  methods?: string[];
  ablations?: string[];
}

async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`config file ${path} cannot be read (${(error as Error).message})`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`config file ${path} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

export function presetPath(name: string): string {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown preset '${name}'; known presets: ${PRESET_NAMES.join(', ')}`);
  }
  return `${PRESET_DIR}${name}.json`;
}

/** Returns the flags as a config override built on the resolved `config`. */
function flagOverrides(config: ExperimentConfig, flags: ConfigFlags): Record<string, Json> {
  const out: Record<string, Json> = {};
  if (flags.seeds !== undefined) out.seeds = flags.seeds;
  if (flags.methods !== undefined) out.methods = flags.methods;
  if (flags.ablations !== undefined) out.ablations = flags.ablations;
  if (flags.steps !== undefined) out.training = { steps: flags.steps };
  if (flags.data !== undefined) {
    // An explicit folder wins over a preset's embedded subset.
    const tasks = config.images.tasks.map((task) => ({ ...task, dataPath: flags.data as string, source: 'auto' }));
    out.images = { tasks: tasks as unknown as Json, teacher: { dataPath: flags.data, source: 'auto' } };
    out.movielens = { dataPath: flags.data };
  }
  return out;
}

export interface LoadConfigOptions {
  preset?: string;
  configFile?: string;
  flags?: ConfigFlags;
}

/** Resolves and validates the config of a command; throws naming the layer and key path of a problem. */
export async function loadExperimentConfig(options: LoadConfigOptions): Promise<ExperimentConfig> {
  let config = DEFAULT_EXPERIMENT;
  if (options.preset !== undefined) {
    const path = presetPath(options.preset);
    config = resolveExperiment(config, await readJsonFile(path), `configs/${options.preset}.json`);
    // A preset names shipped files (the demo teacher) relative to the repository root.
    const checkpoint = config.images.teacher.checkpoint;
    if (checkpoint !== null && !isAbsolute(checkpoint)) config.images.teacher.checkpoint = resolve(REPOSITORY_ROOT, checkpoint);
  }
  if (options.configFile !== undefined) {
    config = resolveExperiment(config, await readJsonFile(options.configFile), options.configFile);
  }
  if (options.flags !== undefined) config = resolveExperiment(config, flagOverrides(config, options.flags), 'command-line flags');
  return config;
}
