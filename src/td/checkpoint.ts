// Checkpoints of a distiller: everything trainable (the student, the communication
// modules, the optimizer state) plus the step counter, the noise generator and the
// generator of the communication modules' dropout seeds. The frozen teacher is not
// saved, because it never changes.
//
// NOTE: a Dropout layer inside the student draws its seeds from the generator it was
// given (the global one by default), which is not saved, so a resumed run with such a
// student draws different masks than an uninterrupted run.

import type { StateValue } from '../nn/module.js';
import type { OptimizerState } from '../optim/optimizer.js';
import type { SafetensorsContents, SafetensorsTensor } from '../io/safetensors.js';
import { toFloat32 } from '../io/safetensors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { MethodName } from './config.js';
import type { Distiller } from './distiller.js';

export interface DistillerState {
  method: MethodName;
  /** Module tensors by "<module>.<name>": "student.*", "studentEncoder.*", ... */
  modules: Record<string, StateValue>;
  optimizer: OptimizerState;
  step: number;
  noiseRngState: number;
  /** Generator of the communication modules' dropout seeds; absent in older checkpoints. */
  moduleRngState?: number;
}

const METADATA_KEY = 'talkgrad.distiller';
const OPTIMIZER_PREFIX = 'optimizer.';

function trainableModules<Input>(distiller: Distiller<Input>): [string, { stateDict(): Record<string, Tensor> }][] {
  return [['student', distiller.student], ...distiller.modules.named];
}

/** Returns the distiller's state; its tensors are the live ones, not copies. */
export function distillerStateDict<Input>(distiller: Distiller<Input>): DistillerState {
  const modules: Record<string, StateValue> = {};
  for (const [prefix, module] of trainableModules(distiller)) {
    for (const [name, t] of Object.entries(module.stateDict())) modules[`${prefix}.${name}`] = t;
  }
  return { method: distiller.method, modules, optimizer: distiller.optimizer.stateDict(), ...distiller.progress };
}

/** Restores a state saved from a distiller of the same method and shapes. */
export function loadDistillerStateDict<Input>(distiller: Distiller<Input>, state: DistillerState): void {
  if (state.method !== distiller.method) {
    throw new Error(`loadDistillerStateDict: the state was saved by method '${state.method}', this distiller runs '${distiller.method}'`);
  }
  const known = new Set<string>();
  for (const [prefix, module] of trainableModules(distiller)) {
    const own = Object.entries(state.modules).filter(([key]) => key.startsWith(`${prefix}.`));
    for (const [key] of own) known.add(key);
    (module as unknown as { loadStateDict(dict: Record<string, StateValue>): void }).loadStateDict(
      Object.fromEntries(own.map(([key, value]) => [key.slice(prefix.length + 1), value])),
    );
  }
  const unknown = Object.keys(state.modules).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new Error(`loadDistillerStateDict: unexpected keys (no module of this distiller has them): ${unknown.join(', ')}`);
  distiller.optimizer.loadStateDict(state.optimizer);
  distiller.restoreProgress({ step: state.step, noiseRngState: state.noiseRngState, moduleRngState: state.moduleRngState });
}

async function toSafetensor(value: StateValue): Promise<SafetensorsTensor> {
  const data = 'isTensor' in value ? await value.data() : value.data;
  return { dtype: 'F32', shape: [...value.shape], data };
}

/** Reads the state back from the GPU as safetensors tensors and metadata (for saveSafetensors). */
export async function distillerStateToSafetensors<Input>(
  distiller: Distiller<Input>,
): Promise<{ tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> }> {
  const state = distillerStateDict(distiller);
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [key, value] of Object.entries(state.modules)) tensors[key] = await toSafetensor(value);
  for (const [key, value] of Object.entries(state.optimizer.tensors)) tensors[OPTIMIZER_PREFIX + key] = await toSafetensor(value);
  const { tensors: _omitted, ...optimizer } = state.optimizer;
  const info = { method: state.method, step: state.step, noiseRngState: state.noiseRngState, moduleRngState: state.moduleRngState, optimizer };
  return { tensors, metadata: { [METADATA_KEY]: JSON.stringify(info) } };
}

/** Rebuilds a DistillerState from safetensors contents written by distillerStateToSafetensors. */
export function distillerStateFromSafetensors(contents: SafetensorsContents): DistillerState {
  const raw = contents.metadata[METADATA_KEY];
  if (raw === undefined) throw new Error(`distillerStateFromSafetensors: metadata '${METADATA_KEY}' is missing; the file is not a distiller checkpoint`);
  const info = JSON.parse(raw) as Omit<DistillerState, 'modules' | 'optimizer'> & { optimizer: Omit<OptimizerState, 'tensors'> };
  const modules: Record<string, StateValue> = {};
  const optimizerTensors: OptimizerState['tensors'] = {};
  for (const [key, t] of Object.entries(contents.tensors)) {
    const value = { shape: t.shape, data: toFloat32(t) };
    if (key.startsWith(OPTIMIZER_PREFIX)) optimizerTensors[key.slice(OPTIMIZER_PREFIX.length)] = value;
    else modules[key] = value;
  }
  return {
    method: info.method,
    modules,
    optimizer: { ...info.optimizer, tensors: optimizerTensors },
    step: info.step,
    noiseRngState: info.noiseRngState,
    ...(info.moduleRngState === undefined ? {} : { moduleRngState: info.moduleRngState }),
  };
}
