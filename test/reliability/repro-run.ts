// Runs the short seeded TD run of td-run.ts in its own process and prints its losses
// and metrics as float bits (JSON on one line), for the cross-process
// reproducibility test. Run: npx tsx test/reliability/repro-run.ts

import { init } from '../../src/gpu/device.js';
import { shortRun } from './td-run.js';

await init();
const record = await shortRun();
process.stdout.write(`${JSON.stringify(record)}\n`);
process.exit(0);
