/** Reads a v2beta multipart body into text fields and files, and checks fields the way Stability does. */
import type { Context } from 'hono';
import type { SandboxEnv } from '../context.js';
import { imageSize } from '../draw.js';

export interface StabilityForm {
  fields: Record<string, string>;
  files: Record<string, Uint8Array>;
}

/** 10 MiB: larger bodies get 413 `payload_too_large`. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export async function readForm(c: Context<SandboxEnv>): Promise<StabilityForm | 'not-multipart' | 'too-large'> {
  if (Number(c.req.header('content-length') ?? 0) > MAX_BODY_BYTES) return 'too-large';
  if (!(c.req.header('content-type') ?? '').includes('multipart/form-data')) return 'not-multipart';
  const form = await c.req.raw.formData().catch(() => undefined);
  if (!form) return 'not-multipart';
  const fields: Record<string, string> = {};
  const files: Record<string, Uint8Array> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields[name] = value;
    else files[name] = new Uint8Array(await value.arrayBuffer());
  }
  return { fields, files };
}

/** Collects `field: problem` messages in Stability's wording. */
export class FieldChecks {
  readonly errors: string[] = [];

  constructor(private readonly form: StabilityForm) {}

  required(name: string): string | undefined {
    const value = this.form.fields[name];
    if (value === undefined || value === '') this.errors.push(`${name}: is required`);
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.form.fields[name];
    if (value === undefined || value === '') return fallback;
    if (!allowed.includes(value as T)) this.errors.push(`${name}: must be one of ${allowed.join(', ')}`);
    return value as T;
  }

  number(name: string, min: number, max: number): number | undefined {
    const raw = this.form.fields[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) this.errors.push(`${name}: must be a number between ${min} and ${max}`);
    return value;
  }

  maxLength(name: string, max: number): void {
    if ((this.form.fields[name]?.length ?? 0) > max) this.errors.push(`${name}: must be at most ${max} characters`);
  }

  async image(
    name: string,
    required: boolean,
    limits: { minSide?: number; minPixels?: number; maxPixels?: number } = {},
  ): Promise<{ bytes: Uint8Array; width: number; height: number } | undefined> {
    const bytes = this.form.files[name];
    if (!bytes || bytes.length === 0) {
      if (required) this.errors.push(`${name}: is required`);
      return undefined;
    }
    const size = await imageSize(bytes).catch(() => undefined);
    if (!size || !['png', 'jpeg', 'webp'].includes(size.format ?? '')) {
      this.errors.push(`${name}: must be a jpeg, png or webp image`);
      return undefined;
    }
    const pixels = size.width * size.height;
    if (
      (limits.minSide && Math.min(size.width, size.height) < limits.minSide) ||
      (limits.minPixels && pixels < limits.minPixels) ||
      (limits.maxPixels && pixels > limits.maxPixels)
    ) {
      this.errors.push(
        `${name}: ${size.width}x${size.height} is outside the allowed size (${limits.minSide ? `at least ${limits.minSide} px a side, ` : ''}${limits.minPixels ?? 0}–${limits.maxPixels ?? '∞'} pixels)`,
      );
    }
    return { bytes, ...size };
  }
}
