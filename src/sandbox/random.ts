/** Deterministic randomness: the same (model, prompt, seed) always draws the same image. */
import { createHash } from 'node:crypto';

export function hashSeed(...parts: readonly (string | number | undefined)[]): number {
  const digest = createHash('sha256')
    .update(parts.map((p) => String(p ?? '')).join('\u0000'))
    .digest();
  return digest.readUInt32LE(0);
}

/** mulberry32: tiny, fast, good enough for shapes and colours. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Process-wide: `fixed` makes every unseeded request draw with that seed, so a benchmark's sandbox
 * serves one drawing from memory instead of drawing each time (real vendors pick a random seed).
 */
export const seedSettings: { fixed: number | undefined } = { fixed: undefined };

/** A random seed in the vendors' range (0–4294967294), for requests that give none. */
export function randomVendorSeed(): number {
  if (seedSettings.fixed !== undefined) return seedSettings.fixed;
  return Math.floor(Math.random() * 4_294_967_294);
}
