// Global switches of the autograd engine: gradient recording and anomaly detection.

let gradEnabled = true;
let detectAnomaly = false;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording operations for backward; returns its result. */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Runs `fn` with gradient recording on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Turns anomaly detection on or off. When on, every op output is read back and
 * checked for NaN or Inf, and the first op that produces one throws an error naming
 * it. This forces a GPU round trip per op, so it is for debugging only.
 */
export function setDetectAnomaly(enabled: boolean): void {
  detectAnomaly = enabled;
}

export function isAnomalyDetectionEnabled(): boolean {
  return detectAnomaly;
}
