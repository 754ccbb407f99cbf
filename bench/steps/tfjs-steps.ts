// Child process of `npm run bench:steps`: times the reference models in TensorFlow.js
// with the WebGPU backend, in its own process so that its device, buffers and
// garbage stay apart from talkgrad's. Prints one line "RESULT <json>" per model.
// Usage: tsx bench/steps/tfjs-steps.ts --models=mlp,vit --warmup=N --blocks=N --every=N --seed=N

import { summarizeTimes, timeSteps, type StepCase, type TimingPlan } from './protocol.js';
import { loadTfjs } from './tfjs-load.js';
import { tfjsMlpCase, tfjsVitCase } from './tfjs-models.js';

function numberOption(args: Map<string, string>, name: string): number {
  const value = Number(args.get(name));
  if (!Number.isInteger(value) || value < 0) throw new Error(`tfjs-steps: --${name} must be an integer >= 0, got ${args.get(name)}`);
  return value;
}

async function main(): Promise<void> {
  const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=', 2) as [string, string]));
  const models = (args.get('models') ?? 'mlp,vit').split(',');
  const plan: TimingPlan = { warmupSteps: numberOption(args, 'warmup'), blocks: numberOption(args, 'blocks'), every: numberOption(args, 'every') };
  const seed = numberOption(args, 'seed');

  const loaded = await loadTfjs();
  const { tf } = loaded;
  console.log(`INFO ${JSON.stringify({ adapter: loaded.adapter, version: tf.version_core, backend: tf.getBackend() })}`);
  for (const model of models) {
    const c: StepCase = model === 'mlp' ? tfjsMlpCase(tf, seed) : model === 'vit' ? tfjsVitCase(tf, seed) : unknownModel(model);
    try {
      const times = await timeSteps(c, plan);
      // One more block counts launches and submits per step, loss read included.
      const launchesBefore = loaded.launches();
      const submitsBefore = loaded.submits();
      for (let i = 0; i < plan.every; i++) c.step();
      await c.readLoss();
      const counts = {
        submitsPerStep: (loaded.submits() - submitsBefore) / plan.every,
        dispatchesPerStep: (loaded.launches() - launchesBefore) / plan.every,
      };
      const summary = summarizeTimes({ model, framework: 'tfjs-webgpu', parameters: c.parameters }, times, plan, counts);
      console.log(`RESULT ${JSON.stringify(summary)}`);
    } finally {
      c.dispose();
    }
  }
}

function unknownModel(model: string): never {
  throw new Error(`tfjs-steps: unknown model '${model}' (known: mlp, vit)`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`tfjs-steps failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
