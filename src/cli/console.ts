// Log lines and progress bars of the CLI, all on stderr so that stdout carries only
// results. Progress bars (cli-progress) show the step, the latest loss and the ETA;
// they are drawn only when stderr is a terminal. Otherwise long work logs a plain line
// at each quarter, so logs of redirected runs and tests stay readable.

import cliProgress from 'cli-progress';

import type { ProgressHandle, RunHooks } from '../experiments/hooks.js';

function timestamp(): string {
  return new Date().toISOString().slice(11, 19);
}

export interface ConsoleOptions {
  /** Draw progress bars; default: when stderr is a terminal. */
  bars?: boolean;
}

/** Without bars, long work (>= 100 steps) logs one line at each quarter instead. */
function quarterLogger(label: string, total: number, log: (message: string) => void): ProgressHandle {
  const started = performance.now();
  let next = 1;
  let lastLoss: number | undefined;
  return {
    update: (step, loss) => {
      lastLoss = loss ?? lastLoss;
      if (total < 100 || step < (next * total) / 4) return;
      next = Math.floor((4 * step) / total) + 1;
      const seconds = (performance.now() - started) / 1000;
      const eta = step < total ? `, ETA ${Math.round((seconds * (total - step)) / step)} s` : '';
      log(`${label}: step ${step}/${total}${lastLoss === undefined ? '' : `, loss ${lastLoss.toPrecision(4)}`}${eta}`);
    },
    stop: () => undefined,
  };
}

/** Creates the hooks that the experiment code reports through. */
export function createConsole(options: ConsoleOptions = {}): RunHooks & { close(): void } {
  const bars = options.bars ?? process.stderr.isTTY === true;
  const multibar = bars
    ? new cliProgress.MultiBar(
        {
          stream: process.stderr,
          format: '{label} [{bar}] {value}/{total} steps | loss {loss} | ETA {eta_formatted}',
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let active = 0;
  if (multibar !== null) {
    // The bars hide the cursor, so an interrupted run restores it before it exits.
    process.once('SIGINT', () => {
      multibar.stop();
      process.exit(130);
    });
  }

  const log = (message: string) => {
    const line = `[talkgrad ${timestamp()}] ${message}\n`;
    if (multibar !== null && active > 0) multibar.log(line);
    else process.stderr.write(line);
  };

  const progress = (label: string, total: number): ProgressHandle => {
    if (multibar === null) return quarterLogger(label, total, log);
    const bar = multibar.create(total, 0, { label, loss: '-' });
    active++;
    let stopped = false;
    return {
      update: (step, loss) => bar.update(step, loss === undefined ? {} : { loss: loss.toPrecision(4) }),
      stop: () => {
        if (stopped) return;
        stopped = true;
        multibar.remove(bar);
        active--;
        if (active === 0) multibar.stop();
      },
    };
  };

  const close = () => {
    if (multibar !== null && active > 0) multibar.stop();
    active = 0;
  };
  return { log, progress, close };
}
