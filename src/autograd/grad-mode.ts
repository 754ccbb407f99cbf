// Global switches of the autograd engine: gradient recording and anomaly detection.

import { restartAnomalyNumbering } from './anomaly.js';

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
 * Turns anomaly detection on or off. When on, a GPU kernel scans every new float32
 * op output (forward and backward) for NaN and Inf, and the next read (`data()`,
 * `item()`, ...) throws an error naming the first op that produced one. It adds one
 * small dispatch per op and no extra round trip, but it is still meant for debugging.
 */
export function setDetectAnomaly(enabled: boolean): void {
  if (enabled && !detectAnomaly) restartAnomalyNumbering();
  detectAnomaly = enabled;
}

export function isAnomalyDetectionEnabled(): boolean {
  return detectAnomaly;
}
