/**
 * Finding a FAL request whose id never reached us (the process died, or the connection was cut,
 * after the submit went out). FAL has no idempotency key, but its Platform API lists an endpoint's
 * requests with their input: `GET https://api.fal.ai/v1/models/requests/by-endpoint?endpoint_id=…
 * &start=<ISO>&expand=payloads&limit=100` (Authorization `Key …`, pages by `cursor`), answering
 * `{ items: [{ request_id, endpoint_id, sent_at, started_at, ended_at, status_code, duration,
 * json_input, json_output }], next_cursor, has_more }` (docs.fal.ai/platform-apis/v1/models/requests/by-endpoint).
 *
 * Unverified against the live API: whether requests still queued or running are listed. Its
 * filters (status success | error | user_error) and default sort (ended_at) read as a history of
 * finished requests, so this assumes they are not: when nothing matches while an orphan could
 * still be running, it looks again until such a request would have ended (`settleMs`), then
 * gives up. Also unverified: whether `start` filters on sent_at or ended_at (either works here,
 * since a request ends after it was sent) and whether `json_input` keeps data URIs (skipped).
 */
import { z } from 'zod';
import { type HttpScope, readJson, send } from '../http.js';
import { sameInput } from '../same-input.js';
import { authHeaders } from './flow.js';
import { joinUrl } from '../../core/url.js';

const PageSchema = z.object({
  items: z.array(
    z.object({
      request_id: z.string(),
      endpoint_id: z.string().nullish(),
      sent_at: z.string().nullish(),
      started_at: z.string().nullish(),
      json_input: z.unknown().optional(),
    }),
  ),
  next_cursor: z.string().nullish(),
  has_more: z.boolean().nullish(),
});

const PAGE_SIZE = 100;
const MAX_PAGES = 10;
/** An orphan appears in the listing once it ends: about its typical latency (~10 poll intervals), three times over. */
const SETTLE_POLL_INTERVALS = 30;

export interface OrphanQuery {
  /** The endpoint id the submit went to (`fal-ai/flux/dev`). */
  app: string;
  input: Record<string, unknown>;
  /** Earliest send time to match (ms; may allow for the vendor's clock being behind). */
  sinceMs: number;
  /** When the submit went out on our clock (default `sinceMs`): an orphan has ended a while after it. */
  sentAt?: number;
  taken: ReadonlySet<string>;
}

/** The id of a request matching `query` (looked for again while one could still be running), or undefined. */
export async function findFalOrphan(scope: HttpScope, query: OrphanQuery): Promise<string | undefined> {
  const { runtime } = scope;
  const platform = runtime.urls.platform;
  if (!platform) return undefined; // a custom host without the Platform API: nothing to list
  const settleAt = (query.sentAt ?? query.sinceMs) + Math.max(runtime.pollIntervalMs, 1) * SETTLE_POLL_INTERVALS;
  for (;;) {
    const found = await listOnce(scope, platform, query);
    if (found !== undefined) return found;
    const wait = Math.max(runtime.pollIntervalMs, 1) * 2;
    const now = runtime.now();
    if (now >= settleAt || (runtime.deadlineAt !== undefined && now + wait >= runtime.deadlineAt)) return undefined;
    await runtime.sleep(wait, runtime.signal);
  }
}

async function listOnce(scope: HttpScope, platform: string, query: OrphanQuery): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const params = new URLSearchParams({ endpoint_id: query.app, start: new Date(query.sinceMs).toISOString(), expand: 'payloads', limit: String(PAGE_SIZE) });
    if (cursor) params.set('cursor', cursor);
    const url = `${joinUrl(platform, 'models/requests/by-endpoint')}?${params}`;
    const answer = await send(scope, { method: 'GET', url, headers: authHeaders(scope.runtime) });
    const { items, next_cursor, has_more } = readJson(scope, answer, PageSchema);
    for (const item of items) {
      if (query.taken.has(item.request_id) || (item.endpoint_id && item.endpoint_id !== query.app)) continue;
      const sent = Date.parse(item.sent_at ?? item.started_at ?? '');
      if (!(sent >= query.sinceMs)) continue;
      if (isRecord(item.json_input) && sameInput(item.json_input, query.input)) return item.request_id;
    }
    if (!next_cursor || has_more === false) return undefined;
    cursor = next_cursor;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
