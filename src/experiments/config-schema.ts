// Validation of JSON configs against their defaults: every key of a user config
// must exist in the defaults with the same type, so a typo or a wrong type is
// rejected with its key path before any work starts.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type RangeCheck = (value: unknown) => string | null;

/**
 * Merges `user` over `defaults` recursively and returns the result. `checks` maps
 * key paths (e.g. "training.lr") to functions returning an error text for an
 * invalid value. Arrays replace the default array whole.
 */
export function resolveConfig<T extends object>(
  defaults: T,
  user: unknown,
  checks: Record<string, RangeCheck> = {},
  source = 'config',
): T {
  const resolved = merge(defaults as Json, user as Json, '', source) as T;
  for (const [path, check] of Object.entries(checks)) {
    const value = path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], resolved);
    const problem = check(value);
    if (problem !== null) throw new Error(`${source}: ${path} = ${JSON.stringify(value)} is invalid: ${problem}`);
  }
  return resolved;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function merge(defaults: Json, user: Json | undefined, path: string, source: string): Json {
  if (user === undefined) return structuredClone(defaults);
  const expected = typeName(defaults);
  const actual = typeName(user);
  // A null default marks an optional value of any type (e.g. an optional path).
  if (expected !== 'null' && expected !== actual) {
    throw new Error(`${source}: ${path || '(root)'} must be ${expected}, got ${actual} ${JSON.stringify(user)}`);
  }
  if (expected !== 'object') return structuredClone(user);

  const base = defaults as Record<string, Json>;
  const given = user as Record<string, Json>;
  for (const key of Object.keys(given)) {
    if (!(key in base)) {
      const known = Object.keys(base).join(', ');
      throw new Error(`${source}: unknown key ${path ? `${path}.${key}` : key} (known keys here: ${known})`);
    }
  }
  const out: Record<string, Json> = {};
  for (const key of Object.keys(base)) out[key] = merge(base[key], given[key], path ? `${path}.${key}` : key, source);
  return out;
}

export const checks = {
  positiveInt: (v: unknown) => (Number.isInteger(v) && (v as number) > 0 ? null : 'must be a positive integer'),
  nonNegativeInt: (v: unknown) => (Number.isInteger(v) && (v as number) >= 0 ? null : 'must be an integer >= 0'),
  positive: (v: unknown) => (typeof v === 'number' && v > 0 && Number.isFinite(v) ? null : 'must be a finite number > 0'),
  nonNegative: (v: unknown) => (typeof v === 'number' && v >= 0 && Number.isFinite(v) ? null : 'must be a finite number >= 0'),
  probability: (v: unknown) => (typeof v === 'number' && v >= 0 && v < 1 ? null : 'must be in [0, 1)'),
  oneOf:
    (...options: string[]) =>
    (v: unknown) =>
      options.includes(v as string) ? null : `must be one of ${options.join(', ')}`,
  subsetOf:
    (...options: string[]) =>
    (v: unknown) => {
      if (!Array.isArray(v)) return 'must be an array';
      const bad = v.filter((x) => !options.includes(x));
      return bad.length === 0 ? null : `unknown entries ${JSON.stringify(bad)}; known: ${options.join(', ')}`;
    },
};
