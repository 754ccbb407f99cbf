// The talkgrad command line: pretrain, distill, compare, cka and merge. Logs and
// progress bars go to stderr; result tables go to stdout.

import { Command } from 'commander';
import { pathToFileURL } from 'node:url';

import { createConsole } from './console.js';
import { registerCka } from './cka.js';
import { registerCompare } from './compare.js';
import { registerMerge } from './merge.js';
import { registerPretrain } from './pretrain.js';

/** Runs the CLI on `argv` (as process.argv) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const console = createConsole();
  const program = new Command('talkgrad')
    .description('Talking-model distillation experiments on WebGPU: pre-train teachers, distill students, compare methods.')
    .showHelpAfterError()
    .exitOverride();
  const hooks = () => console;
  registerPretrain(program, hooks);
  registerCompare(program, hooks);
  registerMerge(program, hooks);
  registerCka(program, hooks);

  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const code = (error as { code?: string }).code;
    // Commander has already printed help, the version or its own usage error.
    if (typeof code === 'string' && code.startsWith('commander.')) {
      return code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version' ? 0 : 1;
    }
    console.log(`error: ${(error as Error).message}`);
    return 1;
  } finally {
    console.close();
  }
}

// Run directly (tsx src/cli/main.ts); bin/talkgrad.js imports main() instead.
const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry) process.exitCode = await main(process.argv);
