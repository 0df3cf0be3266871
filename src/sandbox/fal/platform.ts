/**
 * FAL's Platform API request listing, `GET /v1/models/requests/by-endpoint` (production
 * `https://api.fal.ai/v1`): an endpoint's requests for the calling key, most recently ended first,
 * `{ items, next_cursor, has_more }`, paged by a cursor that encodes the page number (`Mg==` = 2),
 * `json_input` / `json_output` only with `expand=payloads`.
 *
 * Only finished requests are listed: the real API's status filter (success, error, user_error) and
 * its sort (ended_at, duration) describe a history of finished requests; whether it also lists
 * queued or running ones is not documented, so the sandbox takes the stricter reading. `start` and
 * `end` bound the time the request was sent.
 */
import type { Context } from 'hono';
import type { SandboxEnv } from '../context.js';
import type { FalEngine, FalRequest } from './engine.js';
import { falError } from './errors.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;
const DAY_MS = 24 * 3_600_000;

export function listRequests(c: Context<SandboxEnv>, engine: FalEngine): Response {
  const endpoint = c.req.query('endpoint_id');
  if (!endpoint) return falError(c, 422, [{ loc: ['query', 'endpoint_id'], msg: 'Field required', type: 'missing' }]);
  const limit = Number(c.req.query('limit') ?? DEFAULT_LIMIT);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    return falError(c, 422, [{ loc: ['query', 'limit'], msg: `Input should be between 1 and ${MAX_LIMIT}`, type: 'value_error' }]);
  }
  const start = parseTime(c.req.query('start')) ?? Date.now() - DAY_MS;
  const end = parseTime(c.req.query('end')) ?? Number.POSITIVE_INFINITY;
  const requestId = c.req.query('request_id');
  const withPayloads = c.req.queries('expand')?.some((e) => e.split(',').includes('payloads')) ?? false;
  const page = Math.max(1, Number(Buffer.from(c.req.query('cursor') ?? '', 'base64').toString() || '1') || 1);

  const matching = engine
    .ended(c.get('apiKey'))
    .filter((r) => r.app.id === endpoint && r.sentAt.getTime() >= start && r.sentAt.getTime() < end && (!requestId || r.id === requestId));
  const items = matching.slice((page - 1) * limit, page * limit).map((r) => item(r, withPayloads));
  const more = page * limit < matching.length;
  return c.json({ items, next_cursor: more ? Buffer.from(String(page + 1)).toString('base64') : null, has_more: more });
}

function item(r: FalRequest, withPayloads: boolean): Record<string, unknown> {
  const started = r.startedAt ?? r.endedAt!;
  return {
    request_id: r.id,
    endpoint_id: r.app.id,
    sent_at: r.sentAt.toISOString(),
    started_at: started.toISOString(),
    ended_at: r.endedAt!.toISOString(),
    status_code: r.outcome?.status ?? 500,
    duration: Math.round(r.endedAt!.getTime() - started.getTime()) / 1000,
    ...(withPayloads ? { json_input: r.payload, json_output: r.outcome?.body ?? null } : {}),
  };
}

function parseTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
