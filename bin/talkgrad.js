#!/usr/bin/env node
// Entry point of the `talkgrad` command. The package runs from its TypeScript sources,
// so tsx's loader is registered first and the CLI module is then imported as it is.

import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
