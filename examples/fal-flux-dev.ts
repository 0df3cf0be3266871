/** The guide's FAL example: FLUX dev, square_hd, 28 steps, guidance 3.5, safety checker on, inference time printed. */
import type { Easel } from '../src/index.js';
import { runStandalone } from './run-example.js';

export async function startupLogo(easel: Easel, outDir: string) {
  const result = await easel.generate({
    model: 'fal/flux/dev',
    prompt: 'Minimalist logo design for a tech startup, geometric shapes, deep blue and white',
    size: '1024x1024', // FAL's square_hd
    n: 1,
    providerOptions: { fal: { num_inference_steps: 28, guidance_scale: 3.5, enable_safety_checker: true } },
  });
  const file = await result.images[0]!.save(`${outDir}/startup-logo.png`);
  console.log(file);
  console.log(`Generation time: ${result.usage.inferenceSeconds?.toFixed(2)}s`);
  return { result, file };
}

if (import.meta.url === `file://${process.argv[1]}`) await runStandalone(startupLogo);
