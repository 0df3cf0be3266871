/** `easel upscale FILE`: one image upscaled by a vendor model. */
import { basename, extname } from 'node:path';
import { Command, Option } from 'commander';
import { printResult, saveImages } from './output.js';
import { numberFlag } from './parse.js';
import { withEasel } from './run-command.js';
import { addModelOptions, type CommonFlags, requestFields } from './shared-options.js';

export function upscaleCommand(): Command {
  const command = new Command('upscale')
    .description('upscale an image')
    .argument('<file>', 'input image: file path, URL or data URL')
    .addOption(new Option('--scale <factor>', 'upscale factor').argParser(numberFlag('--scale', 1, 8)))
    .option('--prompt <text>', 'prompt, for upscalers that take one (Stability conservative/creative)')
    .addHelpText('after', '\nExample:\n  easel upscale photo.jpg --scale 4 --model replicate/nightmareai/real-esrgan');
  return addModelOptions(command, { sizes: false }).action(async (file: string, flags: CommonFlags & { scale?: number; prompt?: string }) => {
    await withEasel(flags.config, async (easel) => {
      const result = await easel.upscale({ image: file, scale: flags.scale, prompt: flags.prompt, ...requestFields(flags) });
      const stem = `${basename(file, extname(file))}-upscaled`;
      printResult(result, await saveImages(result, flags.out, stem), flags.json === true);
    });
  });
}
