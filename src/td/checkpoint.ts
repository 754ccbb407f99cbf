// Checkpoints of a distiller: everything trainable (the student, the communication
// modules, the optimizer state) plus the step counter and the generators that the
// run draws from: the noise generator, the generator of the communication modules'
// dropout seeds, the global generator and those of the student's and the teacher's
// Dropout layers. The frozen teacher's weights are not saved, because they never change.
//
// NOTE: only Dropout layers registered as submodules are found. A model that keeps its
// own generator elsewhere and draws dropout seeds from it resumes with different masks.

import { Dropout } from '../nn/dropout.js';
import type { Module, StateValue } from '../nn/module.js';
import { defaultRng } from '../ops/create.js';
import type { OptimizerState } from '../optim/optimizer.js';
import type { SafetensorsContents, SafetensorsTensor } from '../io/safetensors.js';
import { toFloat32 } from '../io/safetensors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';
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
  /**
   * Generators of the other dropout seeds, by source: 'global' (the generator of manualSeed,
   * which dropout() without a seed draws from) and 'student.<layer>' or 'teacher.<layer>' for
   * each Dropout layer. Absent in older checkpoints.
   */
  dropoutRngStates?: Record<string, number>;
}

const METADATA_KEY = 'talkgrad.distiller';
const OPTIMIZER_PREFIX = 'optimizer.';

function trainableModules<Input>(distiller: Distiller<Input>): [string, { stateDict(): Record<string, Tensor> }][] {
  return [['student', distiller.student], ...distiller.modules.named];
}

/** Collects the generators of dropout seeds other than the communication modules' one, keyed as in `dropoutRngStates`. */
function dropoutGenerators<Input>(distiller: Distiller<Input>): Map<string, Rng> {
  const generators = new Map<string, Rng>([['global', defaultRng()]]);
  const models: [string, Module][] = [['student', distiller.student], ['teacher', distiller.teacher]];
  for (const [prefix, model] of models) {
    for (const [name, module] of model.namedModules()) {
      if (module instanceof Dropout) generators.set(name === '' ? prefix : `${prefix}.${name}`, module.rng);
    }
  }
  return generators;
}

/** Returns the distiller's state; its tensors are the live ones, not copies. */
export function distillerStateDict<Input>(distiller: Distiller<Input>): DistillerState {
  const modules: Record<string, StateValue> = {};
  for (const [prefix, module] of trainableModules(distiller)) {
    for (const [name, t] of Object.entries(module.stateDict())) modules[`${prefix}.${name}`] = t;
  }
  const dropoutRngStates = Object.fromEntries([...dropoutGenerators(distiller)].map(([key, rng]) => [key, rng.state()]));
  return { method: distiller.method, modules, optimizer: distiller.optimizer.stateDict(), ...distiller.progress, dropoutRngStates };
}

/** Pairs each dropout generator of the distiller with its saved state, or throws when the keys differ. */
function matchDropoutGenerators<Input>(distiller: Distiller<Input>, states: Record<string, number>): [Rng, number][] {
  const generators = dropoutGenerators(distiller);
  const missing = [...generators.keys()].filter((key) => !Object.hasOwn(states, key));
  const unexpected = Object.keys(states).filter((key) => !generators.has(key));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new Error(
      `loadDistillerStateDict: the dropout generators of the state do not match this distiller's Dropout layers ` +
        `(missing: ${missing.join(', ') || 'none'}; unexpected: ${unexpected.join(', ') || 'none'}); build the student and the teacher as in the saved run`,
    );
  }
  return [...generators].map(([key, rng]) => [rng, states[key]]);
}

/** Restores a state saved from a distiller of the same method and shapes. */
export function loadDistillerStateDict<Input>(distiller: Distiller<Input>, state: DistillerState): void {
  if (state.method !== distiller.method) {
    throw new Error(`loadDistillerStateDict: the state was saved by method '${state.method}', this distiller runs '${distiller.method}'`);
  }
  const dropoutStates = state.dropoutRngStates === undefined ? [] : matchDropoutGenerators(distiller, state.dropoutRngStates);
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
  // Layers that share a generator were saved with equal states, so the order of these calls does not matter.
  for (const [rng, saved] of dropoutStates) rng.setState(saved);
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
  const info = {
    method: state.method,
    step: state.step,
    noiseRngState: state.noiseRngState,
    moduleRngState: state.moduleRngState,
    dropoutRngStates: state.dropoutRngStates,
    optimizer,
  };
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
    ...(info.dropoutRngStates === undefined ? {} : { dropoutRngStates: info.dropoutRngStates }),
  };
}
