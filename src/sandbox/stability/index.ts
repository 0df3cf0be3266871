/**
 * Stability under `/stability` (production `https://api.stability.ai`): the v2beta stable-image
 * endpoints, async results, and v1 SDXL text-to-image. Anything else answers 404 in Stability's shape.
 */
import { Hono } from 'hono';
import type { SandboxContext, SandboxEnv } from '../context.js';
import { v1Error, v2Error, stabilityGate } from './errors.js';
import { textToImage } from './v1.js';
import { type CreativeJob, creative, generate, inpaintHandler, results, upscaleHandler, v2 } from './v2beta.js';

export function stabilitySandbox(ctx: SandboxContext): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();
  const submit = ctx.gate(stabilityGate, { submit: true });
  // The results GET is both the status poll and the result: faults on it are `poll` faults.
  const poll = ctx.gate(stabilityGate, { kind: 'poll' });
  const creativeJobs = new Map<string, CreativeJob>();

  for (const endpoint of ['ultra', 'core', 'sd3'] as const) app.post(`/v2beta/stable-image/generate/${endpoint}`, submit, v2(generate(ctx, endpoint)));
  app.post('/v2beta/stable-image/edit/inpaint', submit, v2(inpaintHandler(ctx)));
  app.post('/v2beta/stable-image/upscale/fast', submit, v2(upscaleHandler(ctx, 'fast')));
  app.post('/v2beta/stable-image/upscale/conservative', submit, v2(upscaleHandler(ctx, 'conservative')));
  app.post('/v2beta/stable-image/upscale/creative', submit, v2(creative(ctx, creativeJobs)));
  app.get('/v2beta/results/:id', poll, results(creativeJobs));
  app.get('/v2beta/stable-image/upscale/creative/result/:id', poll, results(creativeJobs));
  app.post('/v1/generation/:engine/text-to-image', submit, textToImage(ctx));

  // The guide's batch example posts to /v2beta/image/to/image, which is not a Stability path.
  app.all('/v1/*', (c) => v1Error(c, 404, 'not_found', `${c.req.method} ${c.req.path.replace(/^\/stability/, '')} was not found`));
  app.all('*', (c) => v2Error(c, 404, 'not_found', [`${c.req.method} ${c.req.path.replace(/^\/stability/, '')}: not found`]));
  return app;
}
