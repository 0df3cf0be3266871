/** Writing a result's images under stable names, and printing what ran, what it cost and where it went. */
import { join } from 'node:path';
import { extensionOf, slugOf } from '../core/file-names.js';
import { type ImageResult, resultSummary } from '../core/result.js';

/** `<slug of the prompt>-<first 8 of sha256>.<ext>`: stable across runs, unique per image. */
export function fileNameFor(prompt: string | undefined, sha256: string, format: string): string {
  return `${slugOf(prompt)}-${sha256.slice(0, 8)}.${extensionOf(format)}`;
}

export async function saveImages(result: ImageResult, outDir: string, prompt: string | undefined): Promise<string[]> {
  return Promise.all(result.images.map((image) => image.save(join(outDir, fileNameFor(prompt, image.sha256, image.format)))));
}

export function printResult(result: ImageResult, files: readonly string[], json: boolean, out: (line: string) => void = console.log): void {
  if (json) {
    out(JSON.stringify(resultSummary(result, files), null, 2));
    return;
  }
  const cost = result.cost.usd === null ? 'unknown' : `$${result.cost.usd.toFixed(4)}`;
  out(`model    ${result.model}${result.sandbox ? ' (sandbox)' : ''}`);
  out(`cost     ${cost}${result.cost.estimated ? ' (estimated)' : ''}  [${result.cost.basis}]`);
  out(`latency  ${Math.round(result.latencyMs)} ms`);
  result.images.forEach((image, i) => {
    const extra = [image.seed !== undefined ? `seed ${image.seed}` : undefined].filter(Boolean).join(', ');
    out(`wrote    ${files[i]} (${image.width}x${image.height} ${image.format}${extra ? `, ${extra}` : ''})`);
    if (image.revisedPrompt) out(`revised  ${image.revisedPrompt}`);
  });
  for (const warning of result.warnings) out(`warning  ${warning.message}`);
}
