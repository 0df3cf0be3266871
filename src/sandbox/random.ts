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

/** A random seed in the vendors' range (0–4294967294), as a vendor picks for a request that gives none. */
export function randomVendorSeed(): number {
  return Math.floor(Math.random() * 4_294_967_294);
}
