// The reporting interface of long-running experiment code: log lines and progress
// displays. The CLI prints them to stderr; tests and library users may stay silent.

export interface ProgressHandle {
  /** Sets the steps done; `loss` is shown when given and kept until the next value. */
  update(step: number, loss?: number): void;
  stop(): void;
}

export interface RunHooks {
  log(message: string): void;
  /** Starts a progress display for `total` steps of the work named by `label`. */
  progress(label: string, total: number): ProgressHandle;
}

export const silentHooks: RunHooks = {
  log: () => undefined,
  progress: () => ({ update: () => undefined, stop: () => undefined }),
};
