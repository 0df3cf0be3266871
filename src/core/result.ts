/** What every call returns: the images, what ran, what it cost, how long it took, and why. */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OutputFormat, ProviderId } from './task.js';
import type { Warning } from './warnings.js';

/** What the vendor reported about its own usage; cost is settled from this when present. */
export interface VendorUsage {
  /** Replicate `metrics.predict_time` (s). */
  computeSeconds?: number;
  /** FAL `timings.inference` (s). */
  inferenceSeconds?: number;
  /** OpenAI gpt-image token usage. */
  inputTokens?: number;
  outputTokens?: number;
  /** Stability credits, when reported. */
  credits?: number;
}

export interface GeneratedImage {
  bytes: Uint8Array;
  mediaType: string;
  format: OutputFormat;
  /** Measured from the bytes, not taken from the request: what was actually produced. */
  width: number;
  height: number;
  seed: number | undefined;
  revisedPrompt: string | undefined;
  /** Hex sha256 of `bytes`. */
  sha256: string;
  /** Writes the bytes atomically (temp file + rename); creates the folder. Returns the path. */
  save(path: string): Promise<string>;
}

export interface Attempt {
  model: string;
  provider: ProviderId;
  startedAt: string;
  latencyMs: number;
  outcome: 'success' | 'error';
  requestId?: string;
  /** USD the vendor charged for this attempt (null: unknown price). */
  costUsd: number | null;
  error?: { code: string; message: string; retryable: boolean };
}

export interface Cost {
  /** USD; null when the model's price is unknown (never reported as $0). */
  usd: number | null;
  /** How the figure was reached (`2 × $0.04 per image`). */
  basis: string;
  /** True when no vendor-reported figure was available and the catalog rule alone was used. */
  estimated: boolean;
}

/** Why the model that ran was chosen: every candidate, why each was dropped or ranked where it was. */
export interface RouteDecision {
  objective: string;
  requirements: { capability: string; source: 'policy' | 'prompt'; evidence?: string }[];
  candidates: { model: string; estimatedCostUsd: number | null; estimatedLatencyMs: number; score: number | null; rank?: number; rejectedBecause?: string }[];
  /** The model that produced the images. */
  chosen: string;
  /** Models started, in order: primary, fallbacks, hedges. */
  tried: string[];
  /** Models cancelled because another answered first (hedging). */
  cancelled: string[];
  /** USD charged across every attempt, failed ones included (null if any price is unknown). */
  totalCostUsd: number | null;
}

export interface ImageResult {
  images: GeneratedImage[];
  /** easel id of the model that ran. */
  model: string;
  provider: ProviderId;
  /** Vendor request ids, one per vendor call. */
  requestIds: string[];
  cost: Cost;
  latencyMs: number;
  attempts: Attempt[];
  warnings: Warning[];
  usage: VendorUsage;
  /** True when the images came from a sandbox (placeholders), not a vendor. */
  sandbox: boolean;
  /** The routing decision (present when the router ran the request). */
  route?: RouteDecision;
  /** True when the result came from the cache (no vendor call, no charge). */
  cached?: boolean;
}

export function makeImage(fields: Omit<GeneratedImage, 'sha256' | 'save'>): GeneratedImage {
  const sha256 = createHash('sha256').update(fields.bytes).digest('hex');
  return { ...fields, sha256, save: (path) => writeFileAtomic(path, fields.bytes) };
}

/** Temp file + rename, so a crash never leaves a half-written image under the final name. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return path;
}

/** A JSON view of a result without image bytes (for `--json`, logs and manifests). */
export function resultSummary(result: ImageResult, files: readonly string[] = []): Record<string, unknown> {
  return {
    model: result.model,
    provider: result.provider,
    sandbox: result.sandbox,
    requestIds: result.requestIds,
    cost: result.cost,
    latencyMs: Math.round(result.latencyMs),
    images: result.images.map((img, i) => ({
      file: files[i],
      mediaType: img.mediaType,
      width: img.width,
      height: img.height,
      seed: img.seed,
      revisedPrompt: img.revisedPrompt,
      sha256: img.sha256,
      bytes: img.bytes.length,
    })),
    usage: result.usage,
    attempts: result.attempts,
    warnings: result.warnings,
    route: result.route,
  };
}
