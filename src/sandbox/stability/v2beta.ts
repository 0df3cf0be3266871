/**
 * v2beta stable-image endpoints: generate (ultra, core, sd3 with image-to-image), inpaint, upscale
 * fast / conservative / creative (async, with `GET /v2beta/results/{id}`). Multipart in; image out.
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { findModel } from '../../catalog/index.js';
import { STABILITY_RATIOS, STYLE_PRESETS } from '../../catalog/models/stability.js';
import { type SandboxContext, type SandboxEnv, moderationRequested } from '../context.js';
import { drawPlaceholder, inpaint, transform, upscale } from '../draw.js';
import { answerImage, charge, filtered, type Generated } from './answer.js';
import { v2Error } from './errors.js';
import { FieldChecks, readForm, type StabilityForm } from './form.js';

const SD3_MODELS = ['sd3.5-large', 'sd3.5-large-turbo', 'sd3.5-medium', 'sd3-large', 'sd3-large-turbo', 'sd3-medium'] as const;
const ALL_FORMATS = ['png', 'jpeg', 'webp'] as const;
const MODERATION = 'Your request was flagged by our content moderation system, as a result your request was denied and you were not charged.';

type Handler = (c: Context<SandboxEnv>, form: StabilityForm, checks: FieldChecks) => Promise<Response>;

/** Reads the form, runs the handler, and turns collected field problems into Stability's 400. */
export function v2(handler: Handler) {
  return async (c: Context<SandboxEnv>) => {
    const form = await readForm(c);
    if (form === 'too-large') return v2Error(c, 413, 'payload_too_large', ['body: payloads cannot be larger than 10MiB in size']);
    if (form === 'not-multipart') return v2Error(c, 400, 'bad_request', ['body: must be multipart/form-data']);
    return handler(c, form, new FieldChecks(form));
  };
}

function seedOf(checks: FieldChecks, ctx: SandboxContext): number {
  const seed = checks.number('seed', 0, 4_294_967_294);
  return seed ? seed : ctx.pickSeed();
}

async function finish(
  c: Context<SandboxEnv>,
  ctx: SandboxContext,
  catalogId: string,
  prompt: string | undefined,
  image: Omit<Generated, 'finishReason'>,
): Promise<Response> {
  const isFiltered = (prompt ?? '').includes('[sandbox:filtered]');
  const result: Generated = {
    ...image,
    bytes: isFiltered ? await filtered(image.bytes, image.format) : image.bytes,
    finishReason: isFiltered ? 'CONTENT_FILTERED' : 'SUCCESS',
  };
  const requestId = randomBytes(16).toString('hex');
  charge(ctx, catalogId, requestId, 1, prompt);
  return answerImage(c, result, requestId);
}

async function vendorDelay(ctx: SandboxContext, catalogId: string): Promise<void> {
  await new Promise((r) => setTimeout(r, ctx.latencyMs(findModel(catalogId)?.latency, 'stability')));
}

export function generate(ctx: SandboxContext, endpoint: 'ultra' | 'core' | 'sd3'): Handler {
  return async (c, form, checks) => {
    const prompt = checks.required('prompt');
    checks.maxLength('prompt', 10_000);
    checks.maxLength('negative_prompt', 10_000);
    const ratio = checks.oneOf('aspect_ratio', Object.keys(STABILITY_RATIOS), '1:1');
    const format = checks.oneOf('output_format', endpoint === 'sd3' ? (['png', 'jpeg'] as const) : ALL_FORMATS, 'png');
    if (endpoint !== 'sd3') checks.oneOf('style_preset', STYLE_PRESETS, 'enhance');
    const model = endpoint === 'sd3' ? checks.oneOf('model', SD3_MODELS, 'sd3.5-large') : endpoint;
    const mode =
      endpoint === 'sd3'
        ? checks.oneOf('mode', ['text-to-image', 'image-to-image'] as const, 'text-to-image')
        : form.files.image
          ? 'image-to-image'
          : 'text-to-image';
    const source = mode === 'image-to-image' ? await checks.image('image', true, { minSide: 64, minPixels: 4096 }) : undefined;
    const strength = checks.number('strength', 0, 1);
    if (mode === 'image-to-image' && strength === undefined) checks.errors.push('strength: is required when image is provided');
    const seed = seedOf(checks, ctx);
    if (checks.errors.length) return v2Error(c, 400, 'bad_request', checks.errors);
    if (moderationRequested(c, prompt)) return v2Error(c, 403, 'content_moderation', [MODERATION]);
    const catalogId = `stability/${model}`;
    await vendorDelay(ctx, catalogId);
    const bytes = source
      ? await transform({ image: source.bytes, strength: strength!, format, model: catalogId, prompt: prompt!, seed, grain: ctx.grain })
      : await drawPlaceholder({
          width: STABILITY_RATIOS[ratio]![0],
          height: STABILITY_RATIOS[ratio]![1],
          format,
          model: catalogId,
          prompt: prompt!,
          seed,
          grain: ctx.grain,
        });
    return finish(c, ctx, catalogId, prompt, { bytes, format, seed });
  };
}

export function inpaintHandler(ctx: SandboxContext): Handler {
  return async (c, _form, checks) => {
    const image = await checks.image('image', true, { minSide: 64, minPixels: 4096, maxPixels: 9_437_184 });
    const mask = await checks.image('mask', false);
    const prompt = checks.required('prompt');
    checks.maxLength('prompt', 10_000);
    checks.number('grow_mask', 0, 100);
    const format = checks.oneOf('output_format', ALL_FORMATS, 'png');
    const seed = seedOf(checks, ctx);
    if (checks.errors.length) return v2Error(c, 400, 'bad_request', checks.errors);
    if (moderationRequested(c, prompt)) return v2Error(c, 403, 'content_moderation', [MODERATION]);
    await vendorDelay(ctx, 'stability/inpaint');
    // No mask: the image's own transparency marks the area, as Stability documents.
    const bytes = await inpaint({
      image: image!.bytes,
      mask: mask?.bytes,
      maskConvention: 'white-is-edit',
      format,
      model: 'stability/inpaint',
      prompt: prompt!,
      seed,
      grain: ctx.grain,
    });
    return finish(c, ctx, 'stability/inpaint', prompt, { bytes, format, seed });
  };
}

export function upscaleHandler(ctx: SandboxContext, kind: 'fast' | 'conservative'): Handler {
  return async (c, _form, checks) => {
    const image = await checks.image(
      'image',
      true,
      kind === 'fast' ? { minSide: 32, minPixels: 1024, maxPixels: 1_048_576 } : { minSide: 64, minPixels: 4096, maxPixels: 9_437_184 },
    );
    if (kind === 'fast' && image && Math.max(image.width, image.height) > 1536) checks.errors.push('image: must be at most 1536 pixels a side');
    const prompt = kind === 'conservative' ? checks.required('prompt') : undefined;
    const format = checks.oneOf('output_format', ALL_FORMATS, 'png');
    const seed = seedOf(checks, ctx);
    if (checks.errors.length) return v2Error(c, 400, 'bad_request', checks.errors);
    if (moderationRequested(c, prompt)) return v2Error(c, 403, 'content_moderation', [MODERATION]);
    const catalogId = `stability/upscale-${kind}`;
    await vendorDelay(ctx, catalogId);
    const bytes = await upscale(image!.bytes, kind === 'fast' ? { scale: 4 } : { scale: toPixels(image!, 4_000_000) }, format);
    return finish(c, ctx, catalogId, prompt, { bytes, format, seed });
  };
}

/** The factor that brings an image to about `target` pixels (never below 1). */
function toPixels(image: { width: number; height: number }, target: number): number {
  return Math.max(1, Math.sqrt(target / (image.width * image.height)));
}

const RESULT_TTL_MS = 24 * 3_600_000;

export interface CreativeJob {
  key: string;
  done?: Generated;
}

/** Creative upscale is asynchronous: 200 `{id}` now, the image from `GET /v2beta/results/{id}` later. */
export function creative(ctx: SandboxContext, jobs: Map<string, CreativeJob>): Handler {
  return async (c, _form, checks) => {
    const image = await checks.image('image', true, { minPixels: 4096, maxPixels: 1_048_576 });
    const prompt = checks.required('prompt');
    const format = checks.oneOf('output_format', ALL_FORMATS, 'png');
    checks.number('creativity', 0, 0.35);
    const seed = seedOf(checks, ctx);
    if (checks.errors.length) return v2Error(c, 400, 'bad_request', checks.errors);
    if (moderationRequested(c, prompt)) return v2Error(c, 403, 'content_moderation', [MODERATION]);
    const id = randomBytes(32).toString('hex');
    const job: CreativeJob = { key: c.get('apiKey') };
    jobs.set(id, job);
    void ctx.track(
      (async () => {
        await vendorDelay(ctx, 'stability/upscale-creative');
        const bytes = await upscale(image!.bytes, { scale: toPixels(image!, 4_000_000) }, format);
        charge(ctx, 'stability/upscale-creative', id, 1, prompt);
        job.done = { bytes, format, seed, finishReason: (prompt ?? '').includes('[sandbox:filtered]') ? 'CONTENT_FILTERED' : 'SUCCESS' };
        // Stability keeps results 24 h; the sandbox's memory budget may drop them sooner (then: generation_not_found).
        ctx.retention.keep(`stability:${id}`, bytes.length, RESULT_TTL_MS, () => jobs.delete(id));
      })(),
    );
    return c.json({ id });
  };
}

export function results(jobs: Map<string, CreativeJob>) {
  return (c: Context<SandboxEnv>) => {
    const id = c.req.param('id')!;
    const job = jobs.get(id);
    // Results belong to the key that started them; anyone else sees "not found".
    if (!job || job.key !== c.get('apiKey')) return v2Error(c, 404, 'generation_not_found', [`id: the generation either does not exist or has expired.`]);
    if (!job.done) return c.json({ id, status: 'in-progress' }, 202);
    return answerImage(c, job.done, id);
  };
}
