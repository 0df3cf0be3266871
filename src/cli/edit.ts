/** `easel edit IMAGE "prompt" --mask MASK`: inpainting. */
import { Command } from 'commander';
import { printResult, saveImages } from './output.js';
import { withEasel } from './run-command.js';
import { addModelOptions, type CommonFlags, requestFields } from './shared-options.js';

export function editCommand(): Command {
  const command = new Command('edit')
    .description('edit part of an image (inpainting): the mask marks where to change')
    .argument('<image>', 'input image: file path, URL or data URL')
    .argument('<prompt>', 'what the edited area should show')
    .option('--mask <file>', 'mask image, same size: transparent pixels (or, with no transparency, white pixels) mark the area to edit, for every vendor')
    .addHelpText('after', '\nExample:\n  easel edit room.png "a red sofa" --mask sofa-mask.png --model stability/inpaint');
  return addModelOptions(command).action(async (image: string, prompt: string, flags: CommonFlags & { mask?: string }) => {
    await withEasel(flags.config, async (easel) => {
      const result = await easel.edit({ image, prompt, mask: flags.mask, ...requestFields(flags) });
      printResult(result, await saveImages(result, flags.out, prompt), flags.json === true);
    });
  });
}
