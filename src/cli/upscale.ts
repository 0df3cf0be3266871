/** `easel upscale FILE|DIR`: one image, or a whole folder of photos as a resumable batch. */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { InvalidRequestError } from '../core/errors.js';
import type { Easel } from '../easel.js';
import { followRun, shellCommand, withoutFlags } from './batch.js';
import { DEFAULT_GRACE_S, handleInterrupts } from './interrupt.js';
import { printResult, saveImages } from './output.js';
import { numberFlag } from './parse.js';
import { withEasel } from './run-command.js';
import { addModelOptions, type CommonFlags, requestFields } from './shared-options.js';

const PHOTO = /\.(jpe?g|png|webp)$/i;

type UpscaleFlags = CommonFlags & { scale?: number; prompt?: string; state?: string };

export function upscaleCommand(): Command {
  const command = new Command('upscale')
    .description('upscale an image, or every photo in a folder (a resumable batch)')
    .argument('<file-or-dir>', 'input image (path, URL or data URL), or a folder of .jpg/.png/.webp photos')
    .addOption(new Option('--scale <factor>', 'upscale factor').argParser(numberFlag('--scale', 1, 8)))
    .option('--prompt <text>', 'prompt, for upscalers that take one (Stability conservative/creative)')
    .option('--state <dir>', 'state folder for the job store (folders only; default .easel)')
    .addHelpText(
      'after',
      '\nModels: local/lanczos and local/esrgan run here with no key; replicate/nightmareai/real-esrgan,\nstability/upscale-fast|conservative|creative call the vendors.\n\nExamples:\n  easel upscale photo.jpg --scale 4 --model local/esrgan\n  easel upscale ./product_photos --out ./product_photos_4x --scale 4 --model replicate/nightmareai/real-esrgan',
    );
  return addModelOptions(command, { sizes: false }).action(async (input: string, flags: UpscaleFlags) => {
    await withEasel(
      flags.config,
      async (easel) => {
        if (isDirectory(input)) await upscaleFolder(easel, input, flags);
        else await upscaleOne(easel, input, flags);
      },
      flags.state,
    );
  });
}

async function upscaleOne(easel: Easel, file: string, flags: UpscaleFlags): Promise<void> {
  const result = await easel.upscale({ image: file, scale: flags.scale, prompt: flags.prompt, ...requestFields(flags) });
  const stem = `${basename(file, extname(file))}-upscaled`;
  printResult(result, await saveImages(result, flags.out, stem), flags.json === true);
}

async function upscaleFolder(easel: Easel, dir: string, flags: UpscaleFlags): Promise<void> {
  const photos = readdirSync(dir)
    .filter((f) => PHOTO.test(f))
    .sort();
  if (photos.length === 0) throw new InvalidRequestError(`${dir} has no .jpg, .png or .webp photos`, { field: 'dir' });
  const items = photos.map((name, i) => ({
    line: i + 1,
    request: { task: 'upscale' as const, image: resolve(dir, name), scale: flags.scale ?? 4, prompt: flags.prompt, ...requestFields(flags) },
  }));
  const started = performance.now();
  let inFlight = 0;
  const interrupts = handleInterrupts(DEFAULT_GRACE_S, () => inFlight);
  try {
    const run = await easel.batch(items, { outDir: flags.out, source: resolve(dir), model: flags.model, stop: interrupts.stop, signal: interrupts.signal });
    const before = (await easel.jobStore().counts(run.job.id)).succeeded;
    const again = shellCommand(['easel', ...withoutFlags(process.argv.slice(2), { '--budget': 1 })]);
    const final = await followRun(easel, run, {
      what: `${photos.length} photos from ${dir} → ${run.job.outDir}`,
      json: flags.json === true,
      resumeWith: again,
      interrupts,
      onRunning: (n) => (inFlight = n),
    });
    const seconds = (performance.now() - started) / 1000;
    const ran = final.succeeded - before;
    if (!flags.json && ran > 0)
      console.log(
        `${ran} photos upscaled in ${seconds.toFixed(1)} s: ${((seconds * 1000) / ran).toFixed(0)} ms per image; files and manifest.jsonl in ${join(run.job.outDir)}`,
      );
  } finally {
    interrupts.dispose();
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
