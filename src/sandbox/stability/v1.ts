/** The v1 SDXL endpoint: JSON `text_prompts` in, `{artifacts: [...]}` (or one raw PNG) out. */
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { findModel } from '../../catalog/index.js';
import { SDXL_ENGINE, SDXL_SIZES, STYLE_PRESETS } from '../../catalog/models/stability.js';
import { type SandboxContext, type SandboxEnv, moderationRequested } from '../context.js';
import { drawPlaceholder } from '../draw.js';
import { charge } from './answer.js';
import { v1Error } from './errors.js';

interface TextPrompt {
  text?: unknown;
  weight?: unknown;
}

export function textToImage(ctx: SandboxContext) {
  return async (c: Context<SandboxEnv>) => {
    if (c.req.param('engine') !== SDXL_ENGINE) return v1Error(c, 404, 'not_found', `The specified engine (ID ${c.req.param('engine')}) was not found.`);
    const body = (await c.req.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') return v1Error(c, 400, 'bad_request', 'body: must be a JSON object');
    const prompts = body.text_prompts as TextPrompt[] | undefined;
    if (
      !Array.isArray(prompts) ||
      prompts.length === 0 ||
      prompts.some(
        (p) => typeof p?.text !== 'string' || p.text.length === 0 || p.text.length > 2000 || (p.weight !== undefined && typeof p.weight !== 'number'),
      )
    ) {
      return v1Error(c, 400, 'bad_request', 'text_prompts: must be a non-empty list of {text (1–2000 characters), weight?: number}');
    }
    const width = (body.width as number | undefined) ?? 1024;
    const height = (body.height as number | undefined) ?? 1024;
    if (!SDXL_SIZES.includes(`${width}x${height}` as (typeof SDXL_SIZES)[number])) {
      return v1Error(c, 400, 'invalid_height_or_width', `for SDXL 1.0 width and height must be one of: ${SDXL_SIZES.join(', ')}`);
    }
    const int = (name: string, min: number, max: number, fallback: number): number | string => {
      const v = body[name];
      if (v === undefined) return fallback;
      return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : `${name}: must be an integer between ${min} and ${max}`;
    };
    const samples = int('samples', 1, 10, 1);
    const steps = int('steps', 10, 150, 30);
    const seed = int('seed', 0, 4_294_967_295, 0);
    const problems = [samples, steps, seed].filter((v): v is string => typeof v === 'string');
    if (body.cfg_scale !== undefined && (typeof body.cfg_scale !== 'number' || body.cfg_scale < 0 || body.cfg_scale > 35))
      problems.push('cfg_scale: must be a number between 0 and 35');
    if (body.style_preset !== undefined && !STYLE_PRESETS.includes(body.style_preset as (typeof STYLE_PRESETS)[number]))
      problems.push(`style_preset: must be one of ${STYLE_PRESETS.join(', ')}`);
    if (problems.length) return v1Error(c, 400, 'bad_request', problems.join('; '));
    const wantsPng = (c.req.header('accept') ?? 'application/json').includes('image/png');
    if (wantsPng && (samples as number) > 1)
      return v1Error(c, 400, 'invalid_samples', 'samples: only 1 sample can be returned as image/png; ask for application/json');
    const positive = prompts
      .filter((p) => ((p.weight as number | undefined) ?? 1) >= 0)
      .map((p) => p.text as string)
      .join(' ');
    if (moderationRequested(c, positive)) return v1Error(c, 400, 'invalid_prompts', 'One or more prompts contains filtered words.');
    await new Promise((r) => setTimeout(r, ctx.latencyMs(findModel('stability/sdxl-1.0')?.latency, 'stability')));
    const first = (seed as number) || ctx.pickSeed();
    const artifacts = await Promise.all(
      Array.from({ length: samples as number }, async (_, i) => {
        const bytes = await drawPlaceholder({ width, height, format: 'png', model: 'stability/sdxl-1.0', prompt: positive, seed: first + i, grain: ctx.grain });
        return { base64: bytes.toString('base64'), seed: first + i, finishReason: 'SUCCESS', bytes };
      }),
    );
    const requestId = randomUUID();
    charge(ctx, 'stability/sdxl-1.0', requestId, samples as number);
    if (wantsPng)
      return c.body(new Uint8Array(artifacts[0]!.bytes), 200, {
        'content-type': 'image/png',
        'finish-reason': 'SUCCESS',
        seed: String(first),
        'x-request-id': requestId,
      });
    return c.json({ artifacts: artifacts.map(({ bytes: _bytes, ...a }) => a) }, 200, { 'x-request-id': requestId });
  };
}
