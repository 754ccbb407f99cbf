// Runs one talkgrad step case: the timed blocks, one more block that counts queue
// submits, dispatches and bind-group cache misses, and one profiled step for the
// GPU time by op.

import { profileStep, type StepProfile } from '../../src/gpu/profiler.js';
import { bindingStats, dispatchCount, submitCount, sync } from '../../src/gpu/runtime.js';
import { summarizeTimes, timeSteps, type StepCase, type StepSummary, type TimingPlan } from './protocol.js';

export interface TalkgradResult {
  summary: StepSummary;
  profile: StepProfile;
}

interface StepCounts {
  submitsPerStep: number;
  dispatchesPerStep: number;
  /** Bind groups created per step; a steady-state step that reuses all of its bind groups creates none. */
  bindGroupMissesPerStep: number;
}

/** Counts over one block of `every` steps and its loss read, divided by `every`. */
async function countPerStep(c: StepCase, every: number): Promise<StepCounts> {
  await sync();
  const submits = submitCount();
  const dispatches = dispatchCount();
  const misses = bindingStats().misses;
  for (let i = 0; i < every; i++) await c.step();
  await c.readLoss();
  return {
    submitsPerStep: (submitCount() - submits) / every,
    dispatchesPerStep: (dispatchCount() - dispatches) / every,
    bindGroupMissesPerStep: (bindingStats().misses - misses) / every,
  };
}

export async function runTalkgradCase(c: StepCase, plan: TimingPlan): Promise<TalkgradResult> {
  const times = await timeSteps(c, plan);
  const { bindGroupMissesPerStep, ...counts } = await countPerStep(c, plan.every);
  const profile = await profileStep(() => c.step());
  await c.readLoss();
  const summary = summarizeTimes({ model: c.model, framework: 'talkgrad', parameters: c.parameters }, times, plan, counts);
  summary.notes = `${bindGroupMissesPerStep} bind groups created per step`;
  return { summary, profile };
}
