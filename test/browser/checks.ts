// Page script of checks.html: acquires the WebGPU device and exposes the cases of
// cases.ts on `window.talkgradChecks`, for the browser test to call via page.evaluate.

import * as tg from '../../src/index.browser.js';
import { runOpCase, runTraining, type CaseInputs, type CaseOutputs, type OpCaseName, type TrainingRun } from './cases.js';

export interface PageInfo {
  /** Adapter description, or null when init() failed. */
  adapterName: string | null;
  featureLevel: string | null;
  /** The error of init(), or null. */
  error: string | null;
}

export interface TalkgradChecks {
  ready: Promise<PageInfo>;
  runOpCase(name: OpCaseName, inputs: CaseInputs): Promise<CaseOutputs>;
  runTraining(seed: number, steps: number, learningRate: number): Promise<TrainingRun>;
}

declare global {
  interface Window {
    talkgradChecks?: TalkgradChecks;
  }
}

async function start(): Promise<PageInfo> {
  const status = document.getElementById('status')!;
  try {
    const device = await tg.init();
    status.textContent = `ready on ${device.adapterName}`;
    return { adapterName: device.adapterName, featureLevel: device.featureLevel, error: null };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    status.textContent = `init failed: ${message}`;
    return { adapterName: null, featureLevel: null, error: message };
  }
}

window.talkgradChecks = {
  ready: start(),
  runOpCase: (name, inputs) => runOpCase(tg, name, inputs),
  runTraining: (seed, steps, learningRate) => runTraining(tg, seed, steps, learningRate),
};
