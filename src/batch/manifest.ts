/** Output names and the manifest: a projection of the job store, rewritten atomically. */
import { join } from 'node:path';
import { extensionOf, slugOf } from '../core/file-names.js';
import { writeFileAtomic } from '../core/result.js';
import type { Item } from './types.js';

/** `<line>-<prompt slug>[-<k>].<ext>`: stable across runs and resumes, unique per image. */
export function outputName(line: number, width: number, prompt: string | undefined, k: number, count: number, format: string): string {
  return `${String(line).padStart(width, '0')}-${slugOf(prompt, 40)}${count > 1 ? `-${k + 1}` : ''}.${extensionOf(format)}`;
}

/** Upscales keep the photo's own name, as the guide's pipeline does: `<stem>_<scale>x.<ext>`. */
export function upscaleName(imagePath: string, scale: number | undefined, k: number, count: number, format: string): string {
  const stem = (imagePath.split(/[\\/]/).pop() ?? 'image').replace(/\.[^.]+$/, '');
  return `${stem}_${scale ?? 4}x${count > 1 ? `-${k + 1}` : ''}.${extensionOf(format)}`;
}

/** One line per image: prompt, seed, model, cost, latency, sha256, file, vendor request id. */
export function manifestLines(items: readonly Item[]): string[] {
  const lines: string[] = [];
  for (const item of items) {
    if (item.status !== 'succeeded' || !item.output) continue;
    const out = item.output;
    out.files.forEach((file, k) => {
      lines.push(
        JSON.stringify({
          line: item.line,
          prompt: item.request.prompt,
          seed: out.seeds[k] ?? null,
          model: out.model,
          costUsd: out.files.length > 0 && out.costUsd !== null ? Math.round((out.costUsd / out.files.length) * 1e6) / 1e6 : out.costUsd,
          latencyMs: Math.round(out.latencyMs),
          sha256: out.sha256[k],
          file,
          vendorRequestId: out.requestIds[Math.min(k, out.requestIds.length - 1)] ?? null,
          cached: out.cached,
          // A crash cut off calls for this item on a vendor whose jobs cannot be found again: it may have been paid more than once.
          ...(item.possibleDuplicates > 0 ? { possibleDuplicateCharges: item.possibleDuplicates } : {}),
        }),
      );
    });
  }
  return lines;
}

export async function writeManifest(outDir: string, items: readonly Item[]): Promise<string> {
  const lines = manifestLines(items);
  return writeFileAtomic(join(outDir, 'manifest.jsonl'), lines.length ? `${lines.join('\n')}\n` : '');
}
