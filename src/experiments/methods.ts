// The methods of a sweep and their settings. A main method is one of the six of
// createDistiller; an ablation variant is TD with one change. Each cell's settings
// are: the shared distill section, then one point of the method's search list, then
// the variant's change, then the method and the seed.

import type { DistillConfig, MethodName } from '../td/config.js';

export const ABLATION_NAMES = ['td-k0', 'td-k1', 'td-k2', 'td-k3', 'td-no-mc', 'td-no-sc', 'td-noise', 'td-rampup'] as const;

export type AblationName = (typeof ABLATION_NAMES)[number];

export interface AblationSettings {
  noiseStd: number;
  studentOnlySteps: number;
  communicationOnlySteps: number;
}

/** Returns the change that an ablation variant makes to TD. */
export function ablationOverrides(name: AblationName, settings: AblationSettings): Partial<DistillConfig> {
  switch (name) {
    case 'td-k0':
      return { rounds: 0 };
    case 'td-k1':
      return { rounds: 1 };
    case 'td-k2':
      return { rounds: 2 };
    case 'td-k3':
      return { rounds: 3 };
    case 'td-no-mc':
      return { wMC: 0 };
    case 'td-no-sc':
      return { wSC: 0 };
    case 'td-noise':
      return { noiseStd: settings.noiseStd };
    case 'td-rampup':
      return { studentOnlySteps: settings.studentOnlySteps, communicationOnlySteps: settings.communicationOnlySteps };
  }
}

/** Returns the createDistiller method that runs a main method or an ablation variant. */
export function baseMethod(method: string): MethodName {
  if ((ABLATION_NAMES as readonly string[]).includes(method)) return 'td';
  return method as MethodName;
}

/** One-line description of each ablation variant for result files. */
export const ABLATION_DESCRIPTIONS: Record<AblationName, string> = {
  'td-k0': 'TD with k = 0 rounds (consistency losses only, no interaction)',
  'td-k1': 'TD with k = 1 round',
  'td-k2': 'TD with k = 2 rounds',
  'td-k3': 'TD with k = 3 rounds',
  'td-no-mc': 'TD without the message consistency loss L_MC (wMC = 0)',
  'td-no-sc': 'TD without the state consistency loss L_SC (wSC = 0)',
  'td-noise': 'TD with Gaussian noise on the decoded teacher state s_h (ablation.noiseStd)',
  'td-rampup': 'TD with the ramp-up schedule: student alone, then communication modules alone, then jointly',
};

/**
 * Returns the search points of a cell: each is the full DistillConfig override list
 * (shared settings, search point, variant change, method, seed). Scratch has one point.
 */
export function searchPoints(
  method: string,
  shared: Partial<DistillConfig>,
  search: Record<string, Record<string, unknown>[]>,
  ablation: AblationSettings,
  seed: number,
): Partial<DistillConfig>[] {
  const base = baseMethod(method);
  const points = base === 'scratch' ? [{}] : (search[base] ?? []);
  if (points.length === 0) throw new Error(`searchPoints: method '${method}' has no search list (search.${base})`);
  const variant = base === method ? {} : ablationOverrides(method as AblationName, ablation);
  return points.map((point) => ({ ...shared, ...(point as Partial<DistillConfig>), ...variant, method: base, seed }));
}
