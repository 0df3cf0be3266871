/**
 * Loads an input image (bytes, file path, http(s) URL or data URL) and checks it with sharp:
 * a known format, within a pixel limit. A mask must match its image's size. How text inputs become
 * bytes can be replaced (`read`): a server facing untrusted clients must not read its own disk.
 */
import { readFile } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { InvalidRequestError } from './errors.js';
import type { LoadedImage } from './image.js';

export const MAX_INPUT_BYTES = 50 * 1024 * 1024;
export const MAX_INPUT_PIXELS = 16_777_216 * 2; // 32 MP: above every vendor's input limit

const FORMATS: Record<string, { mediaType: string; format: LoadedImage['format'] }> = {
  png: { mediaType: 'image/png', format: 'png' },
  jpeg: { mediaType: 'image/jpeg', format: 'jpeg' },
  webp: { mediaType: 'image/webp', format: 'webp' },
  gif: { mediaType: 'image/gif', format: 'gif' },
  tiff: { mediaType: 'image/tiff', format: 'tiff' },
  avif: { mediaType: 'image/avif', format: 'avif' },
  heif: { mediaType: 'image/heif', format: 'heif' },
};

/**
 * Turns an image given as text (a path, a URL, a data URL) into bytes, or throws an
 * InvalidRequestError naming `field`. The default reads files and fetches URLs, as a local user
 * expects; easel's gateway injects its input policy instead (data URLs and SSRF-safe http(s) only).
 */
export type ImageReader = (input: string, field: string, signal?: AbortSignal) => Promise<Uint8Array>;

export interface LoadOptions {
  /** Which request field this is, for error messages (`image`, `mask`). */
  field: string;
  /** Replaces the default reading of text inputs (files, URLs, data URLs); bytes are used as given. */
  read?: ImageReader;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  maxBytes?: number;
  maxPixels?: number;
}

export async function loadImage(input: Uint8Array | string, options: LoadOptions): Promise<LoadedImage> {
  const bytes = await readBytes(input, options);
  return inspectImage(bytes, options);
}

export async function inspectImage(bytes: Uint8Array, options: Pick<LoadOptions, 'field' | 'maxPixels'>): Promise<LoadedImage> {
  const maxPixels = options.maxPixels ?? MAX_INPUT_PIXELS;
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: maxPixels }).metadata();
  } catch (error) {
    const message = error instanceof Error && /pixel limit/i.test(error.message) ? `is larger than ${maxPixels} pixels` : 'is not a readable image';
    throw new InvalidRequestError(`${options.field} ${message}; use PNG, JPEG or WebP`, { field: options.field });
  }
  const known = meta.format ? FORMATS[String(meta.format).replace(/^jpg$/, 'jpeg')] : undefined;
  if (!known || !meta.width || !meta.height) {
    throw new InvalidRequestError(`${options.field} has an unsupported format (${meta.format ?? 'unknown'}); use PNG, JPEG or WebP`, { field: options.field });
  }
  if (meta.width * meta.height > maxPixels) {
    throw new InvalidRequestError(`${options.field} is ${meta.width}x${meta.height}, above the ${maxPixels}-pixel limit`, { field: options.field });
  }
  return { bytes, mediaType: known.mediaType, format: known.format, width: meta.width, height: meta.height, hasAlpha: meta.hasAlpha === true };
}

async function readBytes(input: Uint8Array | string, options: LoadOptions): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? MAX_INPUT_BYTES;
  if (input instanceof Uint8Array) return checkSize(input, maxBytes, options.field);
  if (options.read) return checkSize(await options.read(input, options.field, options.signal), maxBytes, options.field);
  if (input.startsWith('data:')) return checkSize(dataUrlBytes(input, options.field), maxBytes, options.field);
  if (/^https?:\/\//i.test(input)) return fetchBytes(input, maxBytes, options);
  try {
    return checkSize(new Uint8Array(await readFile(input)), maxBytes, options.field);
  } catch (error) {
    if (error instanceof InvalidRequestError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidRequestError(`${options.field}: cannot read file ${JSON.stringify(input)} (${code ?? 'error'})`, { field: options.field });
  }
}

/** The bytes of a base64 data URL (`data:[type];base64,…`); other data URLs are refused. */
export function dataUrlBytes(input: string, field: string): Uint8Array {
  const m = /^data:([\w/+.-]+)?(;base64)?,(.*)$/s.exec(input);
  if (!m || !m[2]) throw new InvalidRequestError(`${field} is a data URL that is not base64-encoded`, { field });
  return new Uint8Array(Buffer.from(m[3]!, 'base64'));
}

async function fetchBytes(url: string, maxBytes: number, options: LoadOptions): Promise<Uint8Array> {
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(url, { signal: options.signal ?? AbortSignal.timeout(30_000) });
  } catch {
    throw new InvalidRequestError(`${options.field}: could not download the image URL`, { field: options.field });
  }
  if (!response.ok) throw new InvalidRequestError(`${options.field}: the image URL answered ${response.status}`, { field: options.field });
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) throw new InvalidRequestError(`${options.field} is larger than ${maxBytes} bytes`, { field: options.field });
  return checkSize(new Uint8Array(await response.arrayBuffer()), maxBytes, options.field);
}

function checkSize(bytes: Uint8Array, maxBytes: number, field: string): Uint8Array {
  if (bytes.length === 0) throw new InvalidRequestError(`${field} is empty`, { field });
  if (bytes.length > maxBytes) throw new InvalidRequestError(`${field} is ${bytes.length} bytes, above the ${maxBytes}-byte limit`, { field });
  return bytes;
}
