// `talkgrad pretrain`: trains the teacher of the pre-training task and saves it as
// safetensors with its config (written atomically), plus the resolved experiment config
// in <out>.config.json.

import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { saveModel } from '../io/checkpoint-node.js';
import { writeFileAtomic } from '../io/files-node.js';
import type { RunHooks } from '../experiments/hooks.js';
import { pretrainImageTeacher } from '../experiments/image-teacher-node.js';
import { pretrainMovieLensTeacher } from '../experiments/movielens-teacher-node.js';
import { loadMovieLensData } from '../experiments/movielens-experiment-node.js';
import { loadExperimentConfig } from '../experiments/presets-node.js';
import { addConfigOptions, configFlags, startGpu, type ConfigOptions } from './common.js';

async function pretrainCommand(options: ConfigOptions, hooks: RunHooks): Promise<void> {
  const config = await loadExperimentConfig({ preset: options.preset, configFile: options.config, flags: configFlags({ ...options, steps: undefined }) });
  if (options.steps !== undefined) {
    if (config.task === 'images') config.images.teacher.steps = options.steps;
    else config.movielens.teacher.steps = options.steps;
  }
  const out = options.out ?? join('runs', config.name, 'teacher.safetensors');
  await startGpu(hooks.log);
  await mkdir(dirname(out), { recursive: true });
  const started = performance.now();

  if (config.task === 'images') {
    const spec = config.images.teacher;
    hooks.log(`pretrain: ViT teacher (depth ${spec.vit.depth}, dim ${spec.vit.dim}, patch ${spec.vit.patchSize}) on ${spec.dataset} classes ${JSON.stringify(spec.classes)}, ${spec.steps} steps`);
    const { model, info } = await pretrainImageTeacher(config, hooks);
    await saveModel(out, model, info);
    hooks.log(`pretrain: done in ${((performance.now() - started) / 1000).toFixed(1)} s, final loss ${info.training.finalLoss.toFixed(4)}, test accuracy on its classes ${info.testAccuracy.toFixed(4)}; saved ${out}`);
    model.dispose();
  } else {
    const spec = config.movielens.teacher;
    const { dataset, splits } = await loadMovieLensData(config);
    hooks.log(`pretrain: MLP teacher ${JSON.stringify(spec.hidden)} on ${splits.train.length} training ratings of every genre, ${spec.steps} steps`);
    const { model, info } = await pretrainMovieLensTeacher(config, dataset, splits, hooks);
    await saveModel(out, model, info);
    hooks.log(`pretrain: done in ${((performance.now() - started) / 1000).toFixed(1)} s, validation RMSE ${info.validationRmse.toFixed(4)}, evaluation RMSE ${info.evalRmse.toFixed(4)}; saved ${out}`);
    model.dispose();
  }
  await writeFileAtomic(`${out}.config.json`, JSON.stringify(config, null, 2) + '\n');
}

export function registerPretrain(program: Command, hooks: () => RunHooks): void {
  const command = program
    .command('pretrain')
    .description(
      'Pre-train the teacher: for images a ViT on the pre-training classes (default Fashion-MNIST classes 0-4), ' +
        'for movielens the MLP teacher [512, 256] on the ratings of all genres. Saves safetensors with the teacher config in its metadata.',
    );
  addConfigOptions(
    command,
    'teacher optimizer steps (default: images.teacher.steps or movielens.teacher.steps, 600 and 2000 in code)',
    'checkpoint file to write (default runs/<name>/teacher.safetensors, where compare with the same config finds it)',
    false,
  ).action(async (options: ConfigOptions) => pretrainCommand(options, hooks()));
}
