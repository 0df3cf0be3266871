/**
 * One image request from checked fields to answer: moderation, a concurrency slot, the model's
 * latency, drawing, the one ledger charge, and the ImagesResponse with OpenAI's headers.
 * Nothing is charged for a request that fails validation, moderation, or the client hung up on.
 */
import type { Context } from 'hono';
import { promptFingerprint } from '../ledger.js';
import { sleep } from '../../core/clock.js';
import { costOf } from '../../catalog/pricing.js';
import type { Quality } from '../../core/task.js';
import { moderationRequested, type SandboxContext, type SandboxEnv } from '../context.js';
import { openaiError, rateLimited, requestIdOf } from './errors.js';
import { checkInputs, type JobInputs } from './inputs.js';
import type { Endpoint } from './models.js';
import type { RawParams } from './params.js';
import { renderJob, usageOf } from './render.js';
import { type ImageJob, validateFields } from './validate.js';
import type { RequestWindow } from '../rate-limit.js';

/** Output URLs stay valid for 60 minutes (protocols.md 1.3). */
const URL_TTL_MS = 60 * 60 * 1000;

export async function handleImages(c: Context<SandboxEnv>, ctx: SandboxContext, endpoint: Endpoint, raw: RawParams): Promise<Response> {
  const started = Date.now();
  // The window as the gate just counted this request, before the work takes time off it.
  const limits = rateLimitHeaders(c.get('requestWindow'));
  const job = validateFields(c, endpoint, raw);
  if (job instanceof Response) return job;
  let inputs: JobInputs | undefined;
  if (endpoint !== 'generations') {
    const checked = await checkInputs(c, job, raw.images, raw.mask);
    if (checked instanceof Response) return checked;
    inputs = checked;
  }
  if (moderationRequested(c, job.prompt)) return moderationError(c, job);

  const slot = ctx.limits.acquire('openai');
  if ('ok' in slot) return rateLimited(c, job.spec.name, `concurrent requests limit ${slot.limit}`, slot.retryAfterMs);
  try {
    const latency = ctx.latencyMs(job.spec.catalog?.latency, 'openai');
    const rendering = renderJob(job, inputs, ctx);
    // Awaited below; marked handled now so a drawing that fails during the latency wait is not an unhandled rejection.
    rendering.catch(() => undefined);
    // The client hung up: the sandbox stops too, and nothing is billed.
    if (
      !(await sleep(latency, c.req.raw.signal).then(
        () => true,
        () => false,
      ))
    ) {
      await rendering.catch(() => undefined);
      return openaiError(c, 499, { message: 'The client closed the request.' });
    }
    const rendered = await rendering;
    const requestId = requestIdOf(c);
    const catalog = job.spec.catalog;
    const cost = catalog ? costOf(catalog, { images: job.n, width: rendered.width, height: rendered.height, quality: job.quality as Quality }).usd : null;
    ctx.ledger.charge({
      vendor: 'openai',
      model: catalog?.id ?? job.spec.name,
      requestId,
      usd: cost,
      images: job.n,
      promptSha256: promptFingerprint(job.prompt),
    });

    const data = rendered.images.map((bytes) => {
      const item: Record<string, string> = {};
      if (rendered.revisedPrompt !== undefined) item.revised_prompt = rendered.revisedPrompt;
      if (job.responseFormat === 'url') item.url = `${ctx.baseUrl()}${ctx.files.put('openai', bytes, rendered.mediaType, URL_TTL_MS)}`;
      else item.b64_json = bytes.toString('base64');
      return item;
    });
    const body: Record<string, unknown> = { created: Math.floor(Date.now() / 1000), data };
    if (job.spec.family === 'gpt-image') {
      Object.assign(body, {
        background: job.background,
        output_format: job.outputFormat,
        quality: job.quality,
        size: `${rendered.width}x${rendered.height}`,
        usage: usageOf(job, inputs, rendered.width, rendered.height),
      });
    }
    return c.json(body, 200, { 'x-request-id': requestId, 'openai-processing-ms': String(Date.now() - started), 'openai-version': '2020-10-01', ...limits });
  } finally {
    slot.release();
  }
}

/** DALL·E's refusal and gpt-image's, as observed in the wild (protocols.md 1.8). */
function moderationError(c: Context<SandboxEnv>, job: ImageJob): Response {
  if (job.spec.family !== 'gpt-image') {
    return openaiError(c, 400, {
      message: 'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
      code: 'content_policy_violation',
    });
  }
  return openaiError(c, 400, {
    message: `Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID ${requestIdOf(c)}.`,
    type: 'image_generation_user_error',
    code: 'moderation_blocked',
  });
}

function rateLimitHeaders(window: RequestWindow | undefined): Record<string, string> {
  if (!window) return {};
  return {
    'x-ratelimit-limit-requests': String(window.limit),
    'x-ratelimit-remaining-requests': String(window.remaining),
    'x-ratelimit-reset-requests': goDuration(window.resetMs),
  };
}

/** OpenAI writes resets as Go durations: `120ms`, `1s`, `6m0s`. */
function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 10) / 100;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}
