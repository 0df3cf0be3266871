/**
 * The OpenAI sandbox, mounted at `/openai` (clients use `baseURL: <root>/openai/v1`): the Images
 * API's generations (JSON), edits and variations (multipart). See protocols.md section 1.
 */
import { Hono } from 'hono';
import type { SandboxContext, SandboxEnv } from '../context.js';
import { openaiError, openaiGate } from './errors.js';
import { handleImages } from './handle.js';
import { readJsonParams, readMultipartParams } from './params.js';

export function openaiSandbox(ctx: SandboxContext): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();
  const submit = ctx.gate(openaiGate, { submit: true });

  app.post('/v1/images/generations', submit, async (c) => {
    const raw = await readJsonParams(c);
    return raw instanceof Response ? raw : handleImages(c, ctx, 'generations', raw);
  });
  app.post('/v1/images/edits', submit, async (c) => {
    const raw = await readMultipartParams(c, 'edits');
    return raw instanceof Response ? raw : handleImages(c, ctx, 'edits', raw);
  });
  app.post('/v1/images/variations', submit, async (c) => {
    const raw = await readMultipartParams(c, 'variations');
    return raw instanceof Response ? raw : handleImages(c, ctx, 'variations', raw);
  });
  // What api.openai.com answers for a path it does not serve.
  app.all('*', ctx.gate(openaiGate), (c) =>
    openaiError(c, 404, { message: `Invalid URL (${c.req.method} ${new URL(c.req.url).pathname.replace(/^\/openai/, '')})` }),
  );
  return app;
}
