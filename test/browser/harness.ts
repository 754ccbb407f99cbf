// Setup for the browser test: builds the bundles into a temporary folder, serves them
// with the pages on 127.0.0.1, and launches the system Chromium through playwright-core
// (which never downloads a browser of its own).

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { bundleLibrary, bundlePage, REPO_ROOT } from '../../scripts/build.js';
import { demoMounts, startStaticServer, type StaticServer } from '../../scripts/serve.js';

/** The Chromium binary; scripts/install-system-deps.sh installs Debian's package there. */
export const CHROMIUM_PATH = process.env.TALKGRAD_CHROMIUM ?? '/usr/bin/chromium';

// WebGPU is behind --enable-unsafe-webgpu on Linux; headless Chromium then runs it on
// SwiftShader when no GPU is present. The rest keeps the browser off the network.
const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Site {
  server: StaticServer;
  /** Folder of the bundles, served under /dist/. */
  dist: string;
  browserBundle: string;
  close(): Promise<void>;
}

/** Builds the library bundle and the page scripts, and serves them with the pages. */
export async function startSite(): Promise<Site> {
  const dist = mkdtempSync(join(tmpdir(), 'talkgrad-browser-'));
  const { browser: browserBundle } = await bundleLibrary(dist);
  await bundlePage(join(REPO_ROOT, 'test/browser/checks.ts'), join(dist, 'test/browser/checks.js'));
  await bundlePage(join(REPO_ROOT, 'examples/browser/demo.ts'), join(dist, 'examples/browser/demo.js'));

  const server = await startStaticServer({
    mounts: { ...demoMounts(dist), '/test/browser/': join(REPO_ROOT, 'test/browser') },
  });
  return {
    server,
    dist,
    browserBundle,
    close: async () => {
      await server.close();
      rmSync(dist, { recursive: true, force: true });
    },
  };
}

/** Launches headless Chromium with WebGPU enabled, or throws an error that explains how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `browser test: Chromium was not found at ${CHROMIUM_PATH}. Install it with ` +
        "'bash scripts/install-system-deps.sh' (Debian: apt-get install chromium), or set TALKGRAD_CHROMIUM to a Chromium binary.",
    );
  }
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`browser test: Chromium at ${CHROMIUM_PATH} failed to start: ${reason}`);
  }
}

/** Collects the page's uncaught errors and console errors, to append to a failure message. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}
