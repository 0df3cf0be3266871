/** The guide's Stability example: a product photo with a negative prompt, 16:9, seed 42, PNG. */
import type { Easel } from '../src/index.js';
import { runStandalone } from './run-example.js';

export async function headphonePhoto(easel: Easel, outDir: string) {
  const result = await easel.generate({
    model: 'stability/core',
    prompt: 'Product photo of a wireless headphone, studio lighting, white background',
    negativePrompt: 'text, watermarks, blurry, distorted',
    outputFormat: 'png',
    aspectRatio: '16:9',
    seed: 42,
  });
  const file = await result.images[0]!.save(`${outDir}/headphone.png`);
  console.log(`${file}: ${result.images[0]!.width}x${result.images[0]!.height}, seed ${result.images[0]!.seed}, $${result.cost.usd}`);
  return { result, file };
}

if (import.meta.url === `file://${process.argv[1]}`) await runStandalone(headphonePhoto);
