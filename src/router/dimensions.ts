/**
 * Resolves the requested size or aspect ratio against a model's dimensioning rule. An exact match
 * is applied silently; anything else is an UnsupportedCapability error — or, when the request
 * allows adjustments, the nearest allowed value plus an `adjusted` warning.
 */
import type { CatalogModel, Dimensioning } from '../catalog/types.js';
import { InvalidRequestError, UnsupportedCapabilityError } from '../core/errors.js';
import { type Dimensions, formatSize, nearestAspectRatio, nearestSize, parseAspectRatio, parseSize, ratioDistance } from '../core/size.js';
import type { Warning } from '../core/warnings.js';

export interface AppliedDimensions {
  width: number | undefined;
  height: number | undefined;
  aspectRatio: string | undefined;
}

interface Ask {
  size?: string;
  aspectRatio?: string;
  allowAdjustments: boolean;
}

/** An aspect ratio mapped onto a fixed size list may differ this much (log-ratio) without a warning. */
const RATIO_TOLERANCE = 0.01;
/** …and this much before it needs `allowAdjustments`. */
const RATIO_ADJUST_LIMIT = 0.05;

export function resolveDimensions(model: CatalogModel, ask: Ask, warnings: Warning[], input?: Dimensions): AppliedDimensions {
  const dims = model.dimensions;
  if (dims.kind === 'from-input') {
    // Clients of OpenAI's edits API send a size; the input's own size is what such a model makes anyway.
    const sameAsInput = ask.size !== undefined && input !== undefined && ask.size === formatSize(input);
    if ((ask.size && !sameAsInput) || ask.aspectRatio) {
      reject(model, ask.size ? 'size' : 'aspectRatio', 'the output size follows the input image (use scale)', ask, warnings);
    }
    return { width: undefined, height: undefined, aspectRatio: undefined };
  }
  if (dims.kind === 'sizes') return fromSizeList(model, dims, ask, warnings);
  if (dims.kind === 'aspect-ratios') return fromRatioTable(model, dims, ask, warnings);
  // Editing or transforming an image keeps its size unless another one is asked for.
  if (input && !ask.size && !ask.aspectRatio) return sized(fitFree(input, dims));
  return fromFreeRange(model, dims, ask, warnings);
}

function fromSizeList(model: CatalogModel, dims: Extract<Dimensioning, { kind: 'sizes' }>, ask: Ask, warnings: Warning[]): AppliedDimensions {
  const allowed = dims.sizes.map((s) => catalogSize(model, s));
  if (ask.size) {
    const wanted = askedSize(ask.size);
    if (dims.sizes.includes(ask.size)) return sized(wanted);
    const nearest = nearestSize(wanted, allowed);
    adjustOrThrow(model, 'size', ask.size, formatSize(nearest), dims.sizes, ask, warnings);
    return sized(nearest);
  }
  if (ask.aspectRatio) {
    const ratio = askedRatio(ask.aspectRatio);
    const nearest = allowed.reduce((best, s) => (ratioDistance(ratio, s.width / s.height) < ratioDistance(ratio, best.width / best.height) ? s : best));
    const off = ratioDistance(ratio, nearest.width / nearest.height);
    if (off > RATIO_ADJUST_LIMIT) adjustOrThrow(model, 'aspectRatio', ask.aspectRatio, formatSize(nearest), dims.sizes, ask, warnings);
    else if (off > RATIO_TOLERANCE) warnAdjusted(model, 'aspectRatio', ask.aspectRatio, formatSize(nearest), warnings);
    return sized(nearest);
  }
  return sized(catalogSize(model, dims.default));
}

function fromRatioTable(model: CatalogModel, dims: Extract<Dimensioning, { kind: 'aspect-ratios' }>, ask: Ask, warnings: Warning[]): AppliedDimensions {
  const labels = Object.keys(dims.ratios);
  const apply = (label: string) => {
    const [width, height] = dims.ratios[label]!;
    return { width, height, aspectRatio: label };
  };
  if (ask.aspectRatio) {
    if (labels.includes(ask.aspectRatio)) return apply(ask.aspectRatio);
    const nearest = nearestAspectRatio(askedRatio(ask.aspectRatio), labels);
    adjustOrThrow(model, 'aspectRatio', ask.aspectRatio, nearest, labels, ask, warnings);
    return apply(nearest);
  }
  if (ask.size) {
    const wanted = askedSize(ask.size);
    const exact = labels.find((l) => dims.ratios[l]![0] === wanted.width && dims.ratios[l]![1] === wanted.height);
    if (exact) return apply(exact);
    const nearest = nearestAspectRatio(wanted.width / wanted.height, labels);
    const sizes = labels.map((l) => `${dims.ratios[l]![0]}x${dims.ratios[l]![1]} (${l})`);
    adjustOrThrow(model, 'size', ask.size, `${dims.ratios[nearest]![0]}x${dims.ratios[nearest]![1]} (${nearest})`, sizes, ask, warnings);
    return apply(nearest);
  }
  return apply(dims.default);
}

function fromFreeRange(model: CatalogModel, dims: Extract<Dimensioning, { kind: 'free' }>, ask: Ask, warnings: Warning[]): AppliedDimensions {
  const rule = `width and height ${dims.min}–${dims.max} px, multiples of ${dims.multipleOf}, at most ${dims.maxPixels} pixels`;
  if (ask.size) {
    const wanted = askedSize(ask.size);
    const fitted = fitFree(wanted, dims);
    if (fitted.width !== wanted.width || fitted.height !== wanted.height) adjustOrThrow(model, 'size', ask.size, formatSize(fitted), rule, ask, warnings);
    return sized(fitted);
  }
  if (ask.aspectRatio) {
    const ratio = askedRatio(ask.aspectRatio);
    const base = catalogSize(model, dims.default);
    const area = base.width * base.height;
    const fitted = fitFree({ width: Math.sqrt(area * ratio), height: Math.sqrt(area / ratio) }, dims);
    return { ...sized(fitted), aspectRatio: ask.aspectRatio };
  }
  return sized(catalogSize(model, dims.default));
}

function fitFree(wanted: Dimensions, dims: Extract<Dimensioning, { kind: 'free' }>): Dimensions {
  const snap = (v: number) => Math.min(dims.max, Math.max(dims.min, Math.round(v / dims.multipleOf) * dims.multipleOf));
  let width = snap(wanted.width);
  let height = snap(wanted.height);
  if (width * height > dims.maxPixels) {
    const shrink = Math.sqrt(dims.maxPixels / (width * height));
    width = Math.floor((width * shrink) / dims.multipleOf) * dims.multipleOf;
    height = Math.floor((height * shrink) / dims.multipleOf) * dims.multipleOf;
  }
  return { width, height };
}

/*
 * The request schema only lets well-formed, positive sizes and ratios through; these keep it that
 * way when a caller skips the schema (or a catalog row is wrong): an error naming the field, never
 * a TypeError deep in the size arithmetic.
 */
function askedSize(size: string): Dimensions {
  const parsed = parseSize(size);
  if (!parsed)
    throw new InvalidRequestError(`size ${JSON.stringify(size)} is not a size: use WIDTHxHEIGHT with both sides above 0, for example 1024x1024`, {
      field: 'size',
    });
  return parsed;
}

function askedRatio(ratio: string): number {
  const parsed = parseAspectRatio(ratio);
  if (parsed === undefined)
    throw new InvalidRequestError(`aspectRatio ${JSON.stringify(ratio)} is not a ratio: use W:H with both sides above 0, for example 16:9`, {
      field: 'aspectRatio',
    });
  return parsed;
}

function catalogSize(model: CatalogModel, size: string): Dimensions {
  const parsed = parseSize(size);
  if (!parsed)
    throw new InvalidRequestError(`the catalog row of ${model.id} has an unreadable size ${JSON.stringify(size)}; fix the catalog (or its override)`, {
      model: model.id,
      provider: model.provider,
      field: 'size',
    });
  return parsed;
}

function sized(d: Dimensions): AppliedDimensions {
  return { width: d.width, height: d.height, aspectRatio: undefined };
}

function adjustOrThrow(
  model: CatalogModel,
  field: string,
  requested: string,
  applied: string,
  allowed: readonly string[] | string,
  ask: Ask,
  warnings: Warning[],
): void {
  if (!ask.allowAdjustments) {
    const list = typeof allowed === 'string' ? allowed : allowed.join(', ');
    throw new UnsupportedCapabilityError(
      `${model.id} cannot make ${field} ${requested}; allowed: ${list}. The nearest is ${applied} (set allowAdjustments to accept it).`,
      { model: model.id, provider: model.provider, field, allowed },
    );
  }
  warnAdjusted(model, field, requested, applied, warnings);
}

function warnAdjusted(model: CatalogModel, field: string, requested: string, applied: string, warnings: Warning[]): void {
  warnings.push({
    kind: 'adjusted',
    model: model.id,
    field,
    requested,
    applied,
    message: `${model.id}: ${field} ${requested} is not available; used ${applied}`,
  });
}

function reject(model: CatalogModel, field: string, why: string, ask: Ask, warnings: Warning[]): void {
  if (!ask.allowAdjustments)
    throw new UnsupportedCapabilityError(`${model.id} does not take ${field}: ${why}`, { model: model.id, provider: model.provider, field });
  warnings.push({ kind: 'unsupported', model: model.id, field, message: `${model.id} ignores ${field}: ${why}` });
}
