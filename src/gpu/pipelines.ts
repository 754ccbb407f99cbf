// Compiles WGSL into compute pipelines once per (shader, specialization) and caches them.
//
// Shaders live in shaders/*.wgsl and are embedded into shader-sources.ts by
// scripts/embed-shaders.ts. A specialization replaces `{{NAME}}` placeholders with
// values, e.g. the expression of an elementwise op or a tile size.

import { SHADER_SOURCES, type ShaderName } from './shader-sources.js';

export type Defines = Record<string, string | number>;

export interface CompiledPipeline {
  pipeline: GPUComputePipeline;
  label: string;
  /** The compile error, once the asynchronous check has reported one. */
  error: string | null;
}

const cache = new WeakMap<GPUDevice, Map<string, CompiledPipeline>>();
const pendingChecks = new Set<Promise<void>>();

/** Waits until every pipeline created so far has reported its compile result. */
export async function settleCompileChecks(): Promise<void> {
  await Promise.all([...pendingChecks]);
}

/** Fills `{{NAME}}` placeholders; a placeholder without a value is an error. */
export function specialize(shader: ShaderName, defines: Defines): string {
  const source = SHADER_SOURCES[shader];
  return source.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = defines[name];
    if (value === undefined) throw new Error(`shader ${shader}.wgsl: no value for placeholder {{${name}}}`);
    return String(value);
  });
}

export function getPipeline(
  device: GPUDevice,
  shader: ShaderName,
  defines: Defines,
  onError: (message: string) => void,
): CompiledPipeline {
  let byKey = cache.get(device);
  if (byKey === undefined) {
    byKey = new Map();
    cache.set(device, byKey);
  }
  const key = shader + JSON.stringify(defines);
  const cached = byKey.get(key);
  if (cached !== undefined) return cached;

  const code = specialize(shader, defines);
  const label = `${shader}.wgsl${Object.keys(defines).length > 0 ? ' ' + JSON.stringify(defines) : ''}`;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label });
  const compiled: CompiledPipeline = { pipeline, label, error: null };
  const check = device.popErrorScope().then(async (error) => {
    if (error === null) return;
    const info = await module.getCompilationInfo();
    const lines = info.messages
      .filter((m) => m.type === 'error')
      .map((m) => `line ${m.lineNum}:${m.linePos}: ${m.message}`);
    compiled.error = `WGSL error in ${label}: ${lines.length > 0 ? lines.join('; ') : error.message}`;
    onError(compiled.error);
  });
  pendingChecks.add(check);
  void check.finally(() => pendingChecks.delete(check));

  byKey.set(key, compiled);
  return compiled;
}

/** Compiles a shader and returns its error messages (empty when it compiles); used by tests. */
export async function checkShader(device: GPUDevice, shader: ShaderName, defines: Defines): Promise<string[]> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: specialize(shader, defines), label: shader });
  device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const error = await device.popErrorScope();
  const info = await module.getCompilationInfo();
  const messages = info.messages.filter((m) => m.type === 'error').map((m) => `line ${m.lineNum}: ${m.message}`);
  if (error !== null && messages.length === 0) messages.push(error.message);
  return messages;
}
