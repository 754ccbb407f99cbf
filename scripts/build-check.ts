// Scans the text of a browser bundle for references to Node-only modules: imports of
// Node built-ins (with or without the `node:` prefix), the `webgpu` package (Dawn's
// Node bindings), and any `require(...)` call, which a browser ESM bundle never needs.
// A `-node.ts` file is caught at bundle time instead (see nodeOnlyGuard in build.ts),
// because its path does not survive into the output.

import { builtinModules } from 'node:module';

const NODE_ONLY_PACKAGES = new Set(['webgpu']);

/** Returns whether an import specifier names a Node built-in or a Node-only package. */
export function isNodeOnly(specifier: string): boolean {
  if (specifier.startsWith('node:')) return true;
  const bare = specifier.split('/')[0];
  return builtinModules.includes(specifier) || builtinModules.includes(bare) || NODE_ONLY_PACKAGES.has(bare);
}

/** Returns one line per Node-only reference found in `code`; empty when the bundle is clean. */
export function findNodeReferences(code: string): string[] {
  const problems: string[] = [];

  // Static imports and re-exports (`from "x"`), side-effect imports and dynamic imports.
  const importPattern = /\b(?:from|import)\s*\(?\s*["']([^"']+)["']/g;
  for (const match of code.matchAll(importPattern)) {
    if (isNodeOnly(match[1])) problems.push(`imports Node-only module '${match[1]}': ${match[0]}`);
  }

  // esbuild turns a require() it cannot resolve into its __require shim.
  const requirePattern = /\b(?:__)?require\(\s*["']?([^"')]*)["']?\s*\)/g;
  for (const match of code.matchAll(requirePattern)) {
    problems.push(`calls require('${match[1]}'): ${match[0]}`);
  }

  return problems;
}
