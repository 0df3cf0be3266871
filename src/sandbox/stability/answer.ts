/** Writes a Stability image answer: raw bytes with `finish-reason`/`seed` headers, or JSON, by `Accept`. */
import { randomBytes } from 'node:crypto';
import { promptFingerprint } from '../ledger.js';
import type { Context } from 'hono';
import sharp from 'sharp';
import { findModel } from '../../catalog/index.js';
import { costOf } from '../../catalog/pricing.js';
import type { SandboxContext, SandboxEnv } from '../context.js';

export type FinishReason = 'SUCCESS' | 'CONTENT_FILTERED';
const MEDIA: Record<string, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

export interface Generated {
  bytes: Buffer;
  format: 'png' | 'jpeg' | 'webp';
  seed: number;
  finishReason: FinishReason;
}

export function answerImage(c: Context<SandboxEnv>, image: Generated, requestId = randomBytes(16).toString('hex')): Response {
  const media = MEDIA[image.format]!;
  if ((c.req.header('accept') ?? '').includes('application/json')) {
    const body = JSON.stringify({ image: image.bytes.toString('base64'), finish_reason: image.finishReason, seed: image.seed });
    return c.body(body, 200, { 'content-type': `application/json; type=${media}`, 'x-request-id': requestId });
  }
  return c.body(new Uint8Array(image.bytes), 200, {
    'content-type': media,
    'finish-reason': image.finishReason,
    seed: String(image.seed),
    'x-request-id': requestId,
  });
}

/** Stability blurs what its moderation flags, and still charges for it. */
export async function filtered(bytes: Buffer, format: Generated['format']): Promise<Buffer> {
  return sharp(bytes).blur(30).toFormat(format).toBuffer();
}

export function charge(ctx: SandboxContext, catalogId: string, requestId: string, images = 1, prompt?: string): void {
  const model = findModel(catalogId);
  ctx.ledger.charge({
    vendor: 'stability',
    model: model?.id ?? catalogId,
    requestId,
    usd: model ? costOf(model, { images }).usd : null,
    images,
    promptSha256: promptFingerprint(prompt),
  });
}
