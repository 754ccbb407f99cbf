// JSON has no NaN or Infinity, but a diverged run produces them. They are stored as the
// strings "NaN", "Infinity" and "-Infinity" and turned back into numbers when read.

const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);

/** JSON.stringify that keeps NaN and ±Infinity as strings; `indent` as in JSON.stringify. */
export function stringifyNumbers(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), indent);
}

/** JSON.parse that turns the strings of stringifyNumbers back into NaN and ±Infinity. */
export function parseNumbers<T>(text: string): T {
  return JSON.parse(text, (_key, v) => (typeof v === 'string' && NON_FINITE.has(v) ? Number(v) : v)) as T;
}
