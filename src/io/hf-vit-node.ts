// Reads a Hugging Face ViT model folder (config.json and model.safetensors, as the
// google/vit-* repositories ship them) into this library's ViT.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { VitConfig } from '../models/vit.js';
import { loadSafetensors } from './files-node.js';
import { loadHfVit, type HfVitConfig } from './hf-vit.js';

/** Loads `dir`/config.json and `dir`/model.safetensors with loadHfVit. */
export async function loadHfVitFolder(dir: string, overrides: Partial<VitConfig> = {}): Promise<ReturnType<typeof loadHfVit>> {
  const configPath = join(dir, 'config.json');
  let hfConfig: HfVitConfig;
  try {
    hfConfig = JSON.parse(await readFile(configPath, 'utf8')) as HfVitConfig;
  } catch (error) {
    throw new Error(`loadHfVitFolder: cannot read ${configPath} (${(error as Error).message})`, { cause: error });
  }
  const { tensors } = await loadSafetensors(join(dir, 'model.safetensors'));
  return loadHfVit(tensors, hfConfig, overrides);
}
