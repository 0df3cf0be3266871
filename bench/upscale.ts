/**
 * Local upscaling benchmark, the guide's product-photo pipeline ("upscale a folder of photos 4x"):
 * 50 procedurally drawn 256x192 "product photos" in a temp folder, each upscaled 4x to 1024x768
 * by local/lanczos and local/esrgan, read from and written back to disk. Reports time per image
 * for each model and the esrgan/lanczos ratio, measured in one run.
 * Run: npx tsx bench/upscale.ts
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findModel } from '../src/catalog/index.js';
import { inspectImage } from '../src/core/image-input.js';
import { localProvider } from '../src/providers/local/index.js';
import { localRuntime } from '../src/providers/local/runtime.js';
import type { ProviderCall } from '../src/providers/types.js';
import { drawPlaceholder } from '../src/sandbox/draw.js';
import { summarize } from './stats.js';

const PHOTOS = 50;
const WIDTH = 256;
const HEIGHT = 192;
const SCALE = 4;
const MODELS = ['local/lanczos', 'local/esrgan'] as const;
const PRODUCTS = ['leather handbag', 'ceramic mug', 'running shoe', 'wrist watch', 'desk lamp', 'perfume bottle', 'headphones', 'sunglasses'];

export async function benchUpscale(): Promise<Record<string, number>> {
  const folder = await mkdtemp(join(tmpdir(), 'easel-bench-upscale-'));
  try {
    for (let i = 0; i < PHOTOS; i++) {
      const prompt = `studio photo of a ${PRODUCTS[i % PRODUCTS.length]} on a plain background`;
      await writeFile(
        join(folder, `photo-${String(i).padStart(2, '0')}.png`),
        await drawPlaceholder({ width: WIDTH, height: HEIGHT, format: 'png', model: 'bench', prompt, seed: i, grain: 0 }),
      );
    }
    const files = (await readdir(folder)).filter((name) => name.startsWith('photo-')).sort();

    // The first ESRGAN call loads TensorFlow.js, the wasm backend and the x4 weights: timed apart.
    const loadStart = performance.now();
    await upscaleFile(folder, files[0]!, 'local/esrgan');
    const esrganLoadMs = performance.now() - loadStart;

    const perImage: Record<string, { p50: number; p99: number; mean: number }> = {};
    for (const model of MODELS) {
      const times: number[] = [];
      for (const file of files) {
        const t0 = performance.now();
        await upscaleFile(folder, file, model);
        times.push(performance.now() - t0);
      }
      perImage[model] = summarize(times);
    }
    const lanczos = perImage['local/lanczos']!;
    const esrgan = perImage['local/esrgan']!;
    const figures = {
      lanczosMeanMs: lanczos.mean,
      lanczosP50Ms: lanczos.p50,
      lanczosP99Ms: lanczos.p99,
      esrganMeanMs: esrgan.mean,
      esrganP50Ms: esrgan.p50,
      esrganP99Ms: esrgan.p99,
      esrganFirstCallMs: esrganLoadMs,
      esrganToLanczosRatio: esrgan.mean / lanczos.mean,
    };
    console.log(`local upscale benchmark (one run): ${PHOTOS} photos ${WIDTH}x${HEIGHT} -> ${WIDTH * SCALE}x${HEIGHT * SCALE} PNG, file in, file out`);
    for (const model of MODELS) {
      const s = perImage[model]!;
      console.log(
        `  ${model.padEnd(14)} mean ${s.mean.toFixed(1)} ms/image, p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, total ${((s.mean * PHOTOS) / 1000).toFixed(1)} s`,
      );
    }
    console.log(`  esrgan first call (loads tfjs + wasm + x4 weights, then upscales): ${esrganLoadMs.toFixed(0)} ms`);
    console.log(`  esrgan / lanczos time per image: ${figures.esrganToLanczosRatio.toFixed(1)}x`);
    return figures;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function upscaleFile(folder: string, file: string, modelId: (typeof MODELS)[number]): Promise<void> {
  const image = await inspectImage(await readFile(join(folder, file)), { field: 'image' });
  const result = await localProvider.run(upscaleCall(modelId, image), localRuntime());
  await writeFile(join(folder, `${file.replace(/\.png$/, '')}-${modelId.replace('/', '-')}.png`), result.images[0]!.bytes);
}

function upscaleCall(modelId: string, image: ProviderCall['image']): ProviderCall {
  const model = findModel(modelId);
  if (!model) throw new Error(`bench: no catalog model ${modelId}`);
  return {
    model,
    task: 'upscale',
    prompt: undefined,
    negativePrompt: undefined,
    width: undefined,
    height: undefined,
    aspectRatio: undefined,
    n: 1,
    seed: undefined,
    quality: undefined,
    style: undefined,
    outputFormat: 'png',
    image,
    mask: undefined,
    strength: undefined,
    scale: SCALE,
    providerOptions: {},
  };
}

if (import.meta.url === `file://${process.argv[1]}`) await benchUpscale();
