// Builds the distributable files with esbuild and tsc.
//   dist/talkgrad.browser.js       ESM bundle of src/index.browser.ts for browsers, shaders inline
//   dist/talkgrad.node.js          ESM bundle of both entries for Node, npm packages left external
//   dist/examples/browser/demo.js  the demo page's script, importing 'talkgrad' at run time
//   dist/types/                    declarations, emitted by tsc from src/
// Run: npx tsx scripts/build.ts [--out DIR] [--no-types]. `npm run build` regenerates
// src/gpu/shader-sources.ts from shaders/ first.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { findNodeReferences, isNodeOnly } from './build-check.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const BROWSER_ENTRY = join(REPO_ROOT, 'src/index.browser.ts');
/** Entry of the Node build, also written as its declaration file (dist/types/node.d.ts). */
const NODE_ENTRY =
  "export * from './src/index.js';\nexport * from './src/index.browser.js';\n" +
  "export { useMatmulTuningFile, defaultMatmulTuningPath } from './src/ops/matmul-tuning-node.js';\n";

export interface LibraryBundles {
  browser: string;
  node: string;
}

/** Fails the build on an import of a Node built-in, the `webgpu` package or a `-node.ts` file. */
const nodeOnlyGuard: Plugin = {
  name: 'node-only-guard',
  setup(context) {
    context.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const importer = relative(REPO_ROOT, args.importer);
      if (!isNodeOnly(args.path) && !/-node(\.[jt]s)?$/.test(args.path)) return undefined;
      return {
        errors: [
          {
            text:
              `${importer} imports the Node-only module '${args.path}', which the browser bundle must not reach; ` +
              'import it from Node-only code (a file ending in -node.ts) instead',
          },
        ],
      };
    });
  },
};

const COMMON = { bundle: true, format: 'esm', sourcemap: 'linked', logLevel: 'silent', legalComments: 'none' } as const;

/**
 * Bundles `entry` for browsers into `outfile`, and rejects a bundle that imports or
 * still refers to a Node-only module.
 */
export async function bundleForBrowser(entry: string, outfile: string): Promise<void> {
  await build({ ...COMMON, entryPoints: [entry], outfile, platform: 'browser', target: 'es2022', plugins: [nodeOnlyGuard] });

  const problems = findNodeReferences(readFileSync(outfile, 'utf8'));
  if (problems.length > 0) {
    throw new Error(`build: ${relative(REPO_ROOT, outfile)} refers to Node-only code:\n  ${problems.join('\n  ')}`);
  }
}

/** Bundles the library for browsers and for Node into `outDir`. */
export async function bundleLibrary(outDir: string): Promise<LibraryBundles> {
  const browser = join(outDir, 'talkgrad.browser.js');
  const node = join(outDir, 'talkgrad.node.js');

  await bundleForBrowser(BROWSER_ENTRY, browser);
  // Node gets the browser API plus anything Node-only that index.ts exports.
  await build({
    ...COMMON,
    stdin: { contents: NODE_ENTRY, resolveDir: REPO_ROOT, sourcefile: 'talkgrad.node.ts', loader: 'ts' },
    outfile: node,
    platform: 'node',
    target: 'node20',
    packages: 'external',
  });
  return { browser, node };
}

/**
 * Turns an import of src/index.browser.ts into an external import of 'talkgrad', which
 * the page's import map points at the library bundle. The page and the bundle then share
 * one library instance (one device, one tensor registry), while tsc checks the page
 * against the source.
 */
const libraryAsExternal: Plugin = {
  name: 'library-as-external',
  setup(context) {
    context.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (args.path === 'talkgrad') return { path: 'talkgrad', external: true };
      if (!args.path.startsWith('.')) return undefined;

      const target = resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
      if (target === BROWSER_ENTRY) return { path: 'talkgrad', external: true };
      if (target.startsWith(join(REPO_ROOT, 'src') + '/')) {
        const importer = relative(REPO_ROOT, args.importer);
        return {
          errors: [
            {
              text:
                `${importer} imports ${relative(REPO_ROOT, target)}; a page must import the library only ` +
                'through src/index.browser.ts, or it would bundle a second copy of the library',
            },
          ],
        };
      }
      return undefined;
    });
  },
};

/** Bundles one page script (e.g. the demo) that imports the library as 'talkgrad'. */
export async function bundlePage(entry: string, outfile: string): Promise<void> {
  await build({ ...COMMON, entryPoints: [entry], outfile, platform: 'browser', target: 'es2022', plugins: [libraryAsExternal, nodeOnlyGuard] });
}

/** Emits declarations of src/ into `outDir`/types with tsc. */
export function buildTypes(outDir: string): void {
  const tsc = join(REPO_ROOT, 'node_modules/.bin/tsc');
  const config = join(REPO_ROOT, 'scripts/build.tsconfig.json');
  execFileSync(tsc, ['-p', config, '--outDir', join(outDir, 'types')], { cwd: REPO_ROOT, stdio: 'inherit' });
  writeFileSync(join(outDir, 'types/node.d.ts'), NODE_ENTRY.replaceAll('./src/', './'));
}

/** Builds everything into `outDir`; the demo script goes to `outDir`/examples/browser. */
export async function buildAll(outDir: string, options: { types: boolean }): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const bundles = await bundleLibrary(outDir);
  const demo = join(outDir, 'examples/browser/demo.js');
  mkdirSync(dirname(demo), { recursive: true });
  await bundlePage(join(REPO_ROOT, 'examples/browser/demo.ts'), demo);
  if (options.types) buildTypes(outDir);
  return [bundles.browser, bundles.node, demo];
}

function parseArgs(argv: string[]): { outDir: string; types: boolean } {
  let outDir = join(REPO_ROOT, 'dist');
  let types = true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1] !== undefined) outDir = resolve(argv[++i]);
    else if (argv[i] === '--no-types') types = false;
    else throw new Error(`build: unknown argument '${argv[i]}'; usage: tsx scripts/build.ts [--out DIR] [--no-types]`);
  }
  return { outDir, types };
}

async function main(): Promise<void> {
  const { outDir, types } = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const files = await buildAll(outDir, { types });
  for (const file of files) {
    console.log(`built ${relative(REPO_ROOT, file)} (${(statSync(file).size / 1024).toFixed(0)} KiB)`);
  }
  if (types) console.log(`built ${relative(REPO_ROOT, join(outDir, 'types'))}/`);
  console.log(`build finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
