// A static file server on 127.0.0.1 for the browser demo and the browser tests.
// URL prefixes map to folders ("mounts"); nothing outside a mounted folder is served.
// Run: npx tsx scripts/serve.ts [--port N] [--no-build]. The default port 0 lets the
// system pick a free one; the URL is printed once the server listens.

import { createReadStream, statSync, type Stats } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll, REPO_ROOT } from './build.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  // Sent as plain bytes without Content-Encoding, so the page receives the gzip file
  // itself and decompresses it with DecompressionStream.
  '.gz': 'application/gzip',
  '.safetensors': 'application/octet-stream',
};

export interface StaticServerOptions {
  /** Folder per URL prefix (starting and ending with '/'). The longest matching prefix wins. */
  mounts: Record<string, string>;
  /** Redirect target of a request for '/'. */
  home?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Receives one line per failed request (4xx, 5xx); default none. */
  log?: (line: string) => void;
}

export interface StaticServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234. */
  url: string;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  response.end(text);
}

function statOrNull(file: string): Stats | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

/** Maps a URL path to a file inside a mounted folder; null when no mount matches or the path escapes it. */
function resolvePath(pathname: string, mounts: [string, string][]): string | null {
  for (const [prefix, folder] of mounts) {
    if (!pathname.startsWith(prefix)) continue;
    const file = resolve(folder, `.${sep}${pathname.slice(prefix.length)}`);
    return file === folder || file.startsWith(folder + sep) ? file : null;
  }
  return null;
}

function handle(request: IncomingMessage, response: ServerResponse, options: StaticServerOptions, mounts: [string, string][]): number {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    send(response, 405, `method ${request.method} is not allowed; use GET`, { allow: 'GET, HEAD' });
    return 405;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
  } catch {
    send(response, 400, `invalid URL ${request.url}`);
    return 400;
  }
  if (pathname === '/' && options.home !== undefined) {
    send(response, 302, `see ${options.home}`, { location: options.home });
    return 302;
  }

  if (mounts.some(([prefix]) => prefix === `${pathname}/`)) {
    send(response, 301, `see ${pathname}/`, { location: `${pathname}/` });
    return 301;
  }

  let file = resolvePath(pathname, mounts);
  let stats = file === null ? null : statOrNull(file);
  if (file !== null && stats?.isDirectory()) {
    if (!pathname.endsWith('/')) {
      send(response, 301, `see ${pathname}/`, { location: `${pathname}/` });
      return 301;
    }
    file = join(file, 'index.html');
    stats = statOrNull(file);
  }
  if (file === null || stats === null || !stats.isFile()) {
    send(response, 404, `${pathname} was not found`);
    return 404;
  }

  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  response.writeHead(200, { 'content-type': type, 'content-length': String(stats.size), 'cache-control': 'no-store' });
  if (request.method === 'HEAD') {
    response.end();
  } else {
    createReadStream(file).pipe(response);
  }
  return 200;
}

/** Starts serving `options.mounts` on 127.0.0.1. */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const mounts = Object.entries(options.mounts)
    .map(([prefix, folder]): [string, string] => [prefix, resolve(folder)])
    .sort((a, b) => b[0].length - a[0].length);
  for (const [prefix] of mounts) {
    if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
      throw new Error(`startStaticServer: mount prefix '${prefix}' must start and end with '/'`);
    }
  }

  const server = createServer((request, response) => {
    const status = handle(request, response, options, mounts);
    if (status >= 400) options.log?.(`${request.method} ${request.url} -> ${status}`);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', done);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** Returns the folders that the demo page needs, keyed by URL prefix; `dist` contains the built bundles. */
export function demoMounts(dist: string): Record<string, string> {
  return {
    '/examples/browser/': join(REPO_ROOT, 'examples/browser'),
    '/data/': join(REPO_ROOT, 'data'),
    '/dist/': dist,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let port = 0;
  let buildFirst = true;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--port' && args[i + 1] !== undefined) port = Number(args[++i]);
    else if (args[i] === '--no-build') buildFirst = false;
    else throw new Error(`serve: unknown argument '${args[i]}'; usage: tsx scripts/serve.ts [--port N] [--no-build]`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`serve: --port must be 0..65535, got ${port}`);

  const dist = join(REPO_ROOT, 'dist');
  if (buildFirst) {
    console.log('building the browser bundle and the demo script into dist/');
    await buildAll(dist, { types: false });
  }
  const server = await startStaticServer({
    mounts: demoMounts(dist),
    home: '/examples/browser/',
    port,
    log: (line) => console.error(line),
  });
  console.log(`serving on ${server.url}`);
  console.log(`demo: ${server.url}/examples/browser/ (tiny run: ${server.url}/examples/browser/?quick=1)`);
  console.log('stop with Ctrl+C');
  process.on('SIGINT', () => {
    void server.close().then(() => process.exit(0));
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
