// `talkgrad merge`: combines the run folders of the shards of one sweep.

import type { Command } from 'commander';

import type { RunHooks } from '../experiments/hooks.js';
import { mergeRuns } from '../experiments/merge-node.js';

export function registerMerge(program: Command, hooks: () => RunHooks): void {
  program
    .command('merge')
    .description('Combine the cells of run folders (e.g. the shards of one compare) into one folder and write its results and plots anew')
    .argument('<dirs...>', 'run folders to combine; their result settings must be equal')
    .requiredOption('--out <folder>', 'folder to write (created when missing)')
    .action(async (dirs: string[], options: { out: string }) => {
      const log = hooks();
      log.log(`merge: start, ${dirs.length} run folders into ${options.out}`);
      const { overview, cells } = await mergeRuns(dirs, options.out, log);
      log.log(`merge: wrote ${cells} cells and the results to ${options.out}`);
      process.stdout.write(`\n${overview}\n`);
    });
}
