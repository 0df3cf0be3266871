/**
 * Sizes and aspect ratios: parsing, and finding the nearest allowed value so that an adjustment
 * can be reported (never applied silently).
 */
export interface Dimensions {
  width: number;
  height: number;
}

const SIZE_RE = /^(\d{1,5})x(\d{1,5})$/;
const RATIO_RE = /^(\d{1,3}(?:\.\d+)?):(\d{1,3}(?:\.\d+)?)$/;

export function parseSize(size: string): Dimensions | undefined {
  const m = SIZE_RE.exec(size.trim());
  if (!m) return undefined;
  const width = Number(m[1]);
  const height = Number(m[2]);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

export function formatSize(d: Dimensions): string {
  return `${d.width}x${d.height}`;
}

export function parseAspectRatio(ratio: string): number | undefined {
  const m = RATIO_RE.exec(ratio.trim());
  if (!m) return undefined;
  const w = Number(m[1]);
  const h = Number(m[2]);
  return w > 0 && h > 0 ? w / h : undefined;
}

/** Log-distance between two ratios, so 2:1 and 1:2 are equally far from 1:1. */
export function ratioDistance(a: number, b: number): number {
  return Math.abs(Math.log(a) - Math.log(b));
}

/** The allowed ratio (by its label) closest to `target`. */
export function nearestAspectRatio(target: number, allowed: readonly string[]): string {
  let best = allowed[0]!;
  let bestDistance = Infinity;
  for (const label of allowed) {
    const value = parseAspectRatio(label);
    if (value === undefined) continue;
    const d = ratioDistance(target, value);
    if (d < bestDistance) {
      best = label;
      bestDistance = d;
    }
  }
  return best;
}

/** The allowed size closest in shape first, then in pixel count. */
export function nearestSize(target: Dimensions, allowed: readonly Dimensions[]): Dimensions {
  let best = allowed[0]!;
  let bestScore = Infinity;
  const targetRatio = target.width / target.height;
  const targetPixels = target.width * target.height;
  for (const candidate of allowed) {
    const shape = ratioDistance(targetRatio, candidate.width / candidate.height);
    const area = Math.abs(Math.log((candidate.width * candidate.height) / targetPixels));
    const score = shape * 10 + area;
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

export function sameSize(a: Dimensions, b: Dimensions): boolean {
  return a.width === b.width && a.height === b.height;
}

export function megapixels(d: Dimensions): number {
  return (d.width * d.height) / 1_000_000;
}
