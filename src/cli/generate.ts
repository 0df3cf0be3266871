/** `easel generate "prompt"`: one call, files written, model/cost/latency/paths printed. */
import { Command } from 'commander';
import { printResult, saveImages } from './output.js';
import { withEasel } from './run-command.js';
import { addModelOptions, type CommonFlags, requestFields } from './shared-options.js';

export function generateCommand(): Command {
  const command = new Command('generate')
    .description('generate images from a prompt')
    .argument('<prompt>', 'what to draw')
    .addHelpText('after', '\nExamples:\n  easel generate "a cozy coffee shop interior"\n  easel generate "logo, geometric" --model fal/flux/dev --aspect 16:9 -n 4 --out ./logos');
  return addModelOptions(command).action(async (prompt: string, flags: CommonFlags) => {
    await withEasel(flags.config, async (easel) => {
      const result = await easel.generate({ prompt, ...requestFields(flags) });
      printResult(result, await saveImages(result, flags.out, prompt), flags.json === true);
    });
  });
}
