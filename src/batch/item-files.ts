/**
 * A batch item's images on disk: their names, and what happens when the output folder cannot take
 * them (the paid images are parked in the job store and written by a later run, without a new charge).
 */
import { join } from 'node:path';
import { InvalidRequestError } from '../core/errors.js';
import type { ItemRecord } from './item-record.js';
import { outputName, upscaleName } from './manifest.js';
import type { BatchItemResult } from './run-types.js';
import type { RunContext } from './run-context.js';
import type { Item, ItemOutput } from './types.js';

/** The file names of an item's images, one per format given (in the images' order). */
export function imageFileNames(item: Item, lineWidth: number, formats: readonly string[]): string[] {
  const { request } = item;
  return formats.map((format, k) =>
    request.task === 'upscale' && typeof request.image === 'string' && !request.image.startsWith('data:')
      ? upscaleName(request.image, request.scale, k, formats.length, format)
      : outputName(item.line, lineWidth, request.prompt, k, formats.length, format),
  );
}

/** Images received and paid for, which the output folder would not take. */
export interface Unwritten {
  /** The item's record, which keeps them. */
  record: Pick<ItemRecord, 'park'>;
  output: ItemOutput;
  images: Uint8Array[];
  /** What the item's attempts cost (USD). */
  costUsd: number;
  /** Why the folder would not take them (see localWriteProblem). */
  problem: Error;
}

/**
 * The images arrived (and were paid for) but the output folder cannot take them: they are kept in the
 * job store and written by the next run, and the run pauses — every further item would meet the same wall.
 */
export async function park(context: RunContext, item: Item, unwritten: Unwritten): Promise<BatchItemResult> {
  const { record, output, images, costUsd, problem } = unwritten;
  const base = { index: item.index, line: item.line };
  try {
    await record.park(output, images, costUsd);
  } catch {
    // The store cannot take them either (the same full disk): the vendor jobs stay recorded, so an
    // async vendor's result is fetched again next run; a synchronous one's call stays marked in flight.
  }
  context.pause(problem.message);
  return { ...base, status: 'failed', files: [], costUsd: 0, error: { code: 'paused', message: problem.message } };
}

/** Writes images a paused run kept in the store; no vendor call. */
export async function writeParked(context: RunContext, item: Item): Promise<BatchItemResult> {
  const base = { index: item.index, line: item.line };
  const images = await context.store.parkedImages(item.jobId, item.index);
  const output = item.output!;
  try {
    await Promise.all(output.files.map((file, k) => context.writeFile(join(context.outDir, file), images[k]!)));
  } catch (error) {
    const problem = localWriteProblem(error, context.outDir);
    if (!problem) throw error;
    context.pause(problem.message);
    return { ...base, status: 'failed', files: [], costUsd: 0, error: { code: 'paused', message: problem.message } };
  }
  await context.store.unpark(item.jobId, item.index, output);
  return { ...base, status: 'succeeded', model: output.model, files: output.files, costUsd: output.costUsd ?? 0 };
}

/** File-system errors that the user must fix (space, permissions), as one clear sentence; else undefined. */
export function localWriteProblem(error: unknown, outDir: string): Error | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const why: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'the disk quota is used up',
    EROFS: 'the folder is on a read-only file system',
    EACCES: 'permission denied',
    EPERM: 'the operation is not permitted',
    EIO: 'an input/output error',
  };
  if (!code || !why[code]) return undefined;
  return new InvalidRequestError(`cannot write to ${outDir}: ${why[code]} (${code})`, { field: 'out' });
}
