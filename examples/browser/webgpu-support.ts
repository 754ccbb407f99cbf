// Explanations for a browser without usable WebGPU, shown instead of the demo.

export interface SupportProblem {
  title: string;
  lines: string[];
}

/** Returns why this page cannot use WebGPU before trying, or null when it may. */
export function findSupportProblem(): SupportProblem | null {
  if (!window.isSecureContext) {
    return {
      title: 'WebGPU needs a secure context',
      lines: [
        `This page was opened from ${location.origin}. Browsers offer WebGPU only to https:// pages and to http://localhost or http://127.0.0.1.`,
        "Start the demo with 'npm run serve' and open the URL that it prints.",
      ],
    };
  }
  if (navigator.gpu === undefined) {
    return {
      title: 'This browser has no WebGPU (navigator.gpu is undefined)',
      lines: [
        'Open the page in a browser with WebGPU, for example Chrome or Edge 113 or later on Windows, macOS or ChromeOS.',
        'On Linux, Chrome and Chromium need WebGPU turned on: open chrome://flags/#enable-unsafe-webgpu, set it to Enabled and restart the browser, or start Chromium with --enable-unsafe-webgpu.',
        'Firefox and Safari offer WebGPU only in some versions and on some platforms; see their release notes.',
      ],
    };
  }
  return null;
}

/** Explains a failed init() on a browser that has navigator.gpu. */
export function explainInitFailure(error: unknown): SupportProblem {
  const message = error instanceof Error ? error.message : String(error);
  return {
    title: 'WebGPU could not start',
    lines: [
      message,
      'The browser has WebGPU but gave no usable adapter or device. Check that hardware acceleration is on, and see chrome://gpu for the WebGPU status.',
      'On Linux, chrome://flags/#enable-vulkan may also need to be enabled.',
    ],
  };
}
