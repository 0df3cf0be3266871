/** Options every generating command shares, so each command file lists only its own. */
import { Command, Option } from 'commander';
import { OUTPUT_FORMATS, QUALITIES } from '../core/task.js';
import { aspectFlag, choiceFlag, intFlag, sizeFlag } from './parse.js';

export interface CommonFlags {
  model?: string;
  size?: string;
  aspect?: string;
  n?: number;
  seed?: number;
  negative?: string;
  format?: (typeof OUTPUT_FORMATS)[number];
  quality?: (typeof QUALITIES)[number];
  style?: string;
  out: string;
  json?: boolean;
  allowAdjustments?: boolean;
  timeout?: number;
  config?: string;
}

export function addModelOptions(command: Command, { sizes = true } = {}): Command {
  command.option('-m, --model <id>', 'catalog model id (see `easel models`), or replicate/<owner>/<name>, fal/<owner>/<app>');
  if (sizes) {
    command
      .addOption(new Option('--size <WxH>', 'output size, e.g. 1024x1024').argParser(sizeFlag).conflicts('aspect'))
      .addOption(new Option('--aspect <W:H>', 'output aspect ratio, e.g. 16:9').argParser(aspectFlag));
  }
  return command
    .addOption(new Option('-n, --n <count>', 'number of images (split into parallel calls above the model limit)').argParser(intFlag('-n', 1, 64)))
    .addOption(new Option('--seed <n>', 'seed for reproducible output').argParser(intFlag('--seed', 0, 4_294_967_294)))
    .option('--negative <text>', 'negative prompt: what to keep out of the image')
    .addOption(new Option('--format <format>', 'output format').argParser(choiceFlag('--format', OUTPUT_FORMATS)))
    .addOption(new Option('--quality <quality>', 'quality, where the model has it').argParser(choiceFlag('--quality', QUALITIES)))
    .option('--style <style>', 'style or style preset, where the model has it')
    .option('-o, --out <dir>', 'folder to write images to', 'easel-output')
    .option('--json', 'print the result as JSON')
    .option('--allow-adjustments', 'use the nearest allowed value (with a warning) instead of failing')
    .addOption(new Option('--timeout <ms>', 'per-attempt timeout in milliseconds').argParser(intFlag('--timeout', 1, 3_600_000)))
    .option('--config <file>', 'config file (default ./easel.config.json)');
}

/** Request fields from the shared flags (undefined flags stay absent). */
export function requestFields(flags: CommonFlags) {
  return {
    model: flags.model,
    size: flags.size,
    aspectRatio: flags.aspect,
    n: flags.n,
    seed: flags.seed,
    negativePrompt: flags.negative,
    outputFormat: flags.format,
    quality: flags.quality,
    style: flags.style,
    allowAdjustments: flags.allowAdjustments,
    timeoutMs: flags.timeout,
  };
}
