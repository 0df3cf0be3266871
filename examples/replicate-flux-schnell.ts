/** The guide's Replicate example: FLUX schnell, 4 outputs, 1024x1024, 4 inference steps. */
import type { Easel } from '../src/index.js';
import { runStandalone } from './run-example.js';

export async function coffeeShop(easel: Easel, outDir: string) {
  const result = await easel.generate({
    model: 'replicate/black-forest-labs/flux-schnell',
    prompt: 'A cozy coffee shop interior, warm lighting, wooden furniture, patrons working on laptops',
    n: 4,
    size: '1024x1024',
    providerOptions: { replicate: { input: { num_inference_steps: 4 } } },
  });
  const files = await Promise.all(result.images.map((image, i) => image.save(`${outDir}/coffee-shop-${i}.png`)));
  files.forEach((file, i) => console.log(`Image ${i}: ${file}`));
  return { result, files };
}

if (import.meta.url === `file://${process.argv[1]}`) await runStandalone(coffeeShop);
