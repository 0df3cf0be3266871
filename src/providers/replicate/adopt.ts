/**
 * Finding a prediction whose id never reached us: a process killed between sending the create
 * request and reading the answer leaves a prediction running (and billing) that nobody tracks.
 * Replicate has no idempotency key, but it lists recent predictions with their input, so resume
 * looks for one of this model, created after the attempt began, with the same input — and adopts it.
 */
import { z } from 'zod';
import { type HttpScope, readJson, send } from '../http.js';
import { sameInput } from '../same-input.js';
import { authHeaders } from './flow.js';
import type { ModelRef } from './request.js';
import { joinUrl } from '../../core/url.js';

const PageSchema = z.object({
  next: z.string().nullish(),
  results: z.array(
    z.object({
      id: z.string(),
      model: z.string().optional(),
      version: z.string().optional(),
      created_at: z.string(),
      input: z.record(z.string(), z.unknown()).nullish(),
    }),
  ),
});

/** Pages of recent predictions read at most, newest first. */
const MAX_PAGES = 10;

export async function findOrphan(
  scope: HttpScope,
  ref: ModelRef,
  input: Record<string, unknown>,
  sinceMs: number,
  taken: ReadonlySet<string>,
): Promise<string | undefined> {
  let url: string | undefined = joinUrl(scope.runtime.baseUrl, 'predictions');
  const model = `${ref.owner}/${ref.name}`;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const answer = await send(scope, { method: 'GET', url, headers: authHeaders(scope.runtime) });
    const { results, next } = readJson(scope, answer, PageSchema);
    for (const p of results) {
      if (Date.parse(p.created_at) < sinceMs) return undefined; // newest first: nothing older can be ours
      if (taken.has(p.id) || (p.model !== undefined && p.model !== model)) continue;
      if (ref.version && p.version !== undefined && p.version !== ref.version) continue;
      if (sameInput(p.input ?? {}, input)) return p.id;
    }
    url = next ?? undefined;
  }
  return undefined;
}
