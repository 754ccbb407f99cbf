// The base class of every layer and model: named parameters, buffers and submodules,
// the train/eval switch, and state dicts.
//
// Registration is explicit, as with PyTorch's register_parameter, register_buffer and
// add_module: a subclass writes `this.weight = this.registerParameter('weight', t)`.
// Plain assignment registers nothing, so a field that refers to a borrowed tensor or
// module is never saved or optimized by accident. As in PyTorch, a module lists its own
// parameters in registration order, then those of each submodule, and nested names join
// with dots ("blocks.0.attention.query.weight").

import { copyBuffer } from '../gpu/runtime.js';
import { upload } from '../ops/kernels.js';
import { keep } from '../tensor/scope.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/** Tensors by dotted name. A tensor from stateDict() shares storage with the module's tensor. */
export type StateDict = Record<string, Tensor>;

/** One value of a state dict being loaded: a tensor, or float32 values with their shape. */
export type StateValue = Tensor | { shape: readonly number[]; data: Float32Array };

export interface LoadStateDictOptions {
  /** Reject missing and unexpected keys (shape mismatches are always rejected). Default true. */
  strict?: boolean;
}

/** Keys that a non-strict loadStateDict skipped. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module {
  /** True after train() (the default), false after eval(). Dropout is active only in training. */
  training = true;
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** Registers `t` as a trainable parameter: sets requiresGrad and exempts it from every enclosing tidy. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    this.checkName(name);
    if (t.dtype !== 'float32') throw new Error(`registerParameter: '${name}' is ${t.dtype}, but parameters must be float32`);
    this.ownParameters.set(name, keep(t.requiresGrad_(true)));
    return t;
  }

  /** Registers `t` as saved state that is not trained (e.g. running statistics). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.checkName(name);
    this.ownBuffers.set(name, keep(t));
    return t;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.checkName(name);
    this.children.set(name, module);
    return module;
  }

  private checkName(name: string): void {
    if (name === '' || name.includes('.')) {
      throw new Error(`Module: name '${name}' is invalid. Use a non-empty name without dots`);
    }
    if (this.ownParameters.has(name) || this.ownBuffers.has(name) || this.children.has(name)) {
      throw new Error(`Module: '${name}' is already registered in ${this.constructor.name}`);
    }
  }

  /** Pairs of (dotted name, parameter) of this module and all submodules, depth first. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, t] of this.ownParameters) out.push([prefix + name, t]);
    for (const [name, child] of this.children) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, t] of this.ownBuffers) out.push([prefix + name, t]);
    for (const [name, child] of this.children) out.push(...child.namedBuffers(`${prefix}${name}.`));
    return out;
  }

  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.children) out.push(...child.namedModules(prefix === '' ? name : `${prefix}.${name}`));
    return out;
  }

  /** Number of trainable scalars (parameters with requiresGrad false are counted too). */
  numParameters(): number {
    return this.parameters().reduce((n, t) => n + t.size, 0);
  }

  /** Sets training mode on this module and every submodule and returns this. */
  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Stops gradients for every parameter (requiresGrad false). Gradients still flow
   * through the module to its inputs. Returns this.
   */
  freeze(): this {
    for (const t of this.parameters()) t.requiresGrad_(false);
    return this;
  }

  unfreeze(): this {
    for (const t of this.parameters()) t.requiresGrad_(true);
    return this;
  }

  zeroGrad(): void {
    for (const t of this.parameters()) t.zeroGrad();
  }

  /** Parameters and buffers by dotted name. The tensors are the module's own, not copies. */
  stateDict(): StateDict {
    return Object.fromEntries([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into the module's tensors in place, so optimizers that hold them stay
   * valid. Shapes must match exactly. With strict (default), a missing or unexpected key
   * is an error that names it. Otherwise the skipped keys are returned.
   */
  loadStateDict(dict: Record<string, StateValue>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((key) => !Object.hasOwn(dict, key));
    const unexpectedKeys = Object.keys(dict).filter((key) => !Object.hasOwn(own, key));
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const parts = [];
      if (missingKeys.length > 0) parts.push(`missing keys: ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
      if (unexpectedKeys.length > 0) parts.push(`unexpected keys: ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`);
      throw new Error(`loadStateDict: ${this.constructor.name}: ${parts.join('; ')} (pass { strict: false } to skip them)`);
    }

    // Every shape is checked before anything is written, so a rejected dict changes nothing.
    const updates = Object.entries(own).filter(([key]) => Object.hasOwn(dict, key));
    for (const [key, target] of updates) {
      const value = dict[key];
      if (!sameShape(value.shape, target.shape)) {
        throw new Error(
          `loadStateDict: ${this.constructor.name}: '${key}' has shape ${formatShape(value.shape)} but the module expects ${formatShape(target.shape)}`,
        );
      }
      if (!isTensor(value) && value.data.length !== target.size) {
        throw new Error(`loadStateDict: ${this.constructor.name}: '${key}' has ${value.data.length} values for shape ${formatShape(value.shape)}`);
      }
      if (isTensor(value) && value.dtype !== target.dtype) {
        throw new Error(`loadStateDict: ${this.constructor.name}: '${key}' is ${value.dtype} but the module expects ${target.dtype}`);
      }
    }
    for (const [key, target] of updates) copyInto(target, dict[key]);
    return { missingKeys, unexpectedKeys };
  }

  /** Releases the GPU storage of every parameter, gradient and buffer. The module is unusable afterwards. */
  dispose(): void {
    for (const t of this.parameters()) {
      t.zeroGrad();
      t.dispose();
    }
    for (const [, t] of this.namedBuffers()) t.dispose();
  }
}

function isTensor(value: StateValue): value is Tensor {
  return (value as { isTensor?: boolean }).isTensor === true;
}

/** Copies `value` into the storage of `target` in recording order (after earlier dispatches that read it). */
export function copyInto(target: Tensor, value: StateValue): void {
  if (isTensor(value)) {
    if (value !== target && target.size > 0) copyBuffer(value.buffer, target.buffer, target.size * 4);
    return;
  }
  const values = target.dtype === 'int32' ? Int32Array.from(value.data) : value.data;
  const staged = upload(values, target.shape, target.dtype, 'loadStateDict');
  if (target.size > 0) copyBuffer(staged.buffer, target.buffer, target.size * 4);
  staged.dispose();
}
