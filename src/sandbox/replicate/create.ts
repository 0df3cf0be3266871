/**
 * `POST /v1/predictions` and `POST /v1/models/{owner}/{name}/predictions`: validate the body and the
 * model's input, take a concurrency slot, start the prediction, and with `Prefer: wait[=N]` hold
 * the answer until it ends or N seconds (time-scaled) pass. Always 201 Created.
 */
import type { Context } from 'hono';
import { moderationRequested, type SandboxContext, type SandboxEnv } from '../context.js';
import type { ReplicateEngine } from './engine.js';
import type { ModelLookup } from './models.js';
import { isTerminal, predictionJson, WEBHOOK_EVENTS, type WebhookEvent } from './prediction.js';
import { problem, throttled } from './problems.js';
import { type InvalidField, validateInput, validationDetail } from './schema.js';

const MAX_WAIT_SECONDS = 60;

export async function createPrediction(
  c: Context<SandboxEnv>,
  ctx: SandboxContext,
  engine: ReplicateEngine,
  findModel: (body: Record<string, unknown>) => ModelLookup | InvalidField,
): Promise<Response> {
  const body = await c.req.json().catch(() => undefined);
  if (!isRecord(body)) return problem(c, { status: 400, detail: 'The request body must be a JSON object.' });
  const lookup = findModel(body);
  if ('field' in lookup) return invalid(c, [lookup]);
  if (!lookup.ok) return problem(c, { status: lookup.status, title: lookup.title, detail: lookup.detail });
  const model = lookup.model;

  if (!isRecord(body.input)) return invalid(c, [{ type: 'required', field: 'input', description: 'input is required and must be an object' }]);
  const checked = validateInput(model.schema, body.input);
  if (!checked.ok) return invalid(c, checked.invalid);
  const webhook = readWebhook(body);
  if ('field' in webhook) return invalid(c, [webhook]);

  const slot = ctx.limits.acquire('replicate');
  if ('ok' in slot) return throttled(c, slot.retryAfterMs);

  const prompt = typeof checked.input.prompt === 'string' ? checked.input.prompt : undefined;
  const prediction = engine.create({
    model,
    input: body.input,
    resolvedInput: checked.input,
    ...webhook,
    moderated: moderationRequested(c, prompt) && checked.input.disable_safety_checker !== true,
    release: slot.release,
  });

  const waitSeconds = preferWait(c.req.header('prefer'));
  if (waitSeconds !== undefined) {
    const gaveUp = new AbortController();
    const clientGone = c.req.raw.signal;
    await Promise.race([prediction.done, ctx.delay(waitSeconds * 1000, AbortSignal.any([gaveUp.signal, clientGone])).catch(() => undefined)]);
    gaveUp.abort();
    if (prediction.finishing && !clientGone.aborted) await prediction.done;
  }
  const timedOut = waitSeconds !== undefined && !isTerminal(prediction);
  return c.json(predictionJson(prediction, engine.apiBase(), timedOut ? 'starting' : undefined), 201);
}

/** `Prefer: wait` (60 s) or `Prefer: wait=N` (1–60; larger values are capped). */
export function preferWait(header: string | undefined): number | undefined {
  if (!header) return undefined;
  for (const token of header.split(',').map((t) => t.trim().toLowerCase())) {
    if (token === 'wait') return MAX_WAIT_SECONDS;
    const m = /^wait=(\d+)$/.exec(token);
    if (m) return Math.min(MAX_WAIT_SECONDS, Math.max(1, Number(m[1])));
  }
  return undefined;
}

function readWebhook(body: Record<string, unknown>): { webhook: string | undefined; webhookEventsFilter: WebhookEvent[] | undefined } | InvalidField {
  const { webhook, webhook_events_filter: filter } = body;
  if (webhook !== undefined && webhook !== null) {
    if (typeof webhook !== 'string' || !/^https?:\/\//i.test(webhook) || !URL.canParse(webhook)) {
      return { type: 'format', field: 'webhook', description: "Does not match format 'uri' (an http(s) URL)" };
    }
  }
  if (filter !== undefined && filter !== null) {
    if (!Array.isArray(filter) || filter.some((e) => !WEBHOOK_EVENTS.includes(e as WebhookEvent))) {
      return {
        type: 'enum',
        field: 'webhook_events_filter',
        description: `each event must be one of the following: ${WEBHOOK_EVENTS.map((e) => `"${e}"`).join(', ')}`,
      };
    }
  }
  return {
    webhook: typeof webhook === 'string' ? webhook : undefined,
    webhookEventsFilter: Array.isArray(filter) ? ([...new Set(filter)] as WebhookEvent[]) : undefined,
  };
}

function invalid(c: Context<SandboxEnv>, fields: readonly InvalidField[]): Response {
  return problem(c, { status: 422, title: 'Input validation failed', detail: validationDetail(fields), extra: { invalid_fields: fields } });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
