// Scopes for `tidy`: every tensor created inside `tidy(fn)` is disposed when `fn`
// returns, except the tensors it returns and the ones passed to `keep`.

import type { Tensor } from './tensor.js';

const scopes: Set<Tensor>[] = [];
let liveTensors = 0;

/** Registers a new tensor with the innermost scope. */
export function track(t: Tensor): void {
  liveTensors++;
  scopes[scopes.length - 1]?.add(t);
}

export function untrackDisposed(t: Tensor): void {
  liveTensors--;
  for (const scope of scopes) scope.delete(t);
}

/** Exempts `t` from disposal by every enclosing `tidy`; returns `t`. */
export function keep<T extends Tensor>(t: T): T {
  for (const scope of scopes) scope.delete(t);
  return t;
}

export function liveTensorCount(): number {
  return liveTensors;
}

/**
 * Runs `fn` and disposes every tensor it created except those in its result (a
 * tensor, or an array or plain object of tensors, searched one level deep).
 * Returned tensors move to the enclosing scope. `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw error;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new Error('tidy: fn returned a Promise; tidy needs a synchronous function (await outside it).');
  }

  const returned = new Set<Tensor>();
  collectTensors(result, returned);
  for (const t of scope) {
    if (returned.has(t)) scopes[scopes.length - 1]?.add(t);
    else t.dispose();
  }
  return result;
}

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (isTensor(value)) {
    into.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) if (isTensor(v)) into.add(v);
  } else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) if (isTensor(v)) into.add(v);
  }
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && (value as { isTensor?: boolean }).isTensor === true;
}
