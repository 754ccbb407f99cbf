// The resolved config of a run folder (config.json). Cells of one folder must come from
// the same settings, so a rerun with settings that change cell results is rejected.
// The seeds, methods, ablations, name and CKA options may change between reruns.

import type { ExperimentConfig } from './experiment-config.js';
import type { RunFolder } from './run-folder-node.js';

const FREE_KEYS = ['name', 'seeds', 'methods', 'ablations', 'cka'] as const;

/** Returns the part of a config that decides the result of a cell. */
export function resultSettings(config: ExperimentConfig): Record<string, unknown> {
  const copy: Record<string, unknown> = structuredClone(config) as unknown as Record<string, unknown>;
  for (const key of FREE_KEYS) delete copy[key];
  return copy;
}

/** Returns the dotted paths where two JSON values differ. */
export function differingKeys(a: unknown, b: unknown, path = ''): string[] {
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    return [...keys].flatMap((k) => differingKeys((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path || '(root)'];
}

/**
 * Writes `config` to config.json after checking that an existing config.json has the
 * same result settings; otherwise throws naming the keys that differ.
 */
export async function checkRunConfig(folder: RunFolder, config: ExperimentConfig): Promise<void> {
  const previous = await folder.readJson<ExperimentConfig>('config.json');
  if (previous !== null) {
    const keys = differingKeys(resultSettings(previous), resultSettings(config));
    if (keys.length > 0) {
      throw new Error(
        `${folder.dir}/config.json: the run folder contains cells of other settings (${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', ...' : ''} differ). ` +
          'Use another --out folder, or delete this one to start over',
      );
    }
  }
  await folder.writeText('config.json', JSON.stringify(config, null, 2) + '\n');
}
