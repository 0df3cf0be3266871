/**
 * OpenAI-native forwarding. When a generations request is for an OpenAI model and wants b64_json,
 * the request easel's adapter builds is OpenAI's own and OpenAI's answer is already the client's:
 * the gateway sends one and streams the other back as it arrives, instead of decoding, measuring and
 * re-encoding every image (about 3 ms per 256x256 image on this machine, bench/gateway.ts). What easel
 * knows before the answer goes in the headers (model, price, request id); the key's budget and the
 * metrics are settled when the answer has been sent. Warnings (a deprecated model, an adjusted size)
 * reach an OpenAI-shaped answer on neither path. Everything else — other vendors, URL answers,
 * splitting `n`, hedging, caching, an open breaker, or a vendor answer that is not a 200 — takes the
 * full path, which retries and falls back.
 */
import type { Context } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { request as vendorRequest } from 'undici';
import { abandonedIsCharged } from '../../catalog/billing.js';
import { costOf } from '../../catalog/pricing.js';
import { worstCaseUsd } from '../../router/reservation.js';
import { AbortedError } from '../../core/errors.js';
import type { ImageRequest } from '../../core/request.js';
import { parseOpenAIOptions } from '../../providers/openai/options.js';
import { buildImagesRequest } from '../../providers/openai/request.js';
import { vendorPool } from '../../providers/transport.js';
import { allowedRequest, reserveFromKey } from '../auth/enforce.js';
import type { GatewayDeps, GatewayEnv } from '../context.js';

/** The forwarded answer, or undefined when the request must take the full path. */
export async function forwardToOpenAI(c: Context<GatewayEnv>, deps: GatewayDeps, request: ImageRequest): Promise<Response | undefined> {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  const key = c.get('key');
  // A restricted key's `auto` routes among its own models: enforceKey decides that, the full path runs it.
  const restrictedAuto = key?.allowedModels && (request.model === undefined || request.model === 'auto');
  if (!outgoing || request.policy?.hedge || request.cache || restrictedAuto || deps.easel.health.isOpen('openai')) return undefined;
  const plan = await deps.easel.route(request);
  const candidate = plan.ranked[0];
  const call = candidate?.calls[0];
  if (!candidate || !call || candidate.model.provider !== 'openai' || candidate.calls.length !== 1) return undefined;
  const endpoint = await deps.easel.endpoint('openai');
  const built = buildImagesRequest(call, endpoint.baseUrl, parseOpenAIOptions(call.providerOptions, call.model.id));
  if (built.endpoint !== 'generations') return undefined;

  allowedRequest(key, request);
  // The one vendor call made here is held at its worst case, by the rule the router applies to its attempts.
  const reservation = key && key.budgetUsd !== null ? reserveFromKey(deps, key, worstCaseUsd(candidate.model, candidate.calls), candidate.model.id) : undefined;
  const started = performance.now();
  // The client hanging up — before the vendor answers or while its answer streams back — aborts the
  // vendor call (undici then destroys the body too). Built by hand rather than from the request's
  // signal, AbortSignal.any and AbortSignal.timeout: those cost a DOMException and timers on every
  // request (~0.1 ms here); this costs one listener, and undici's own timers carry the timeout.
  const hangUp = new AbortController();
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) hangUp.abort();
  });
  const timeoutMs = request.timeoutMs ?? deps.easel.timeoutMs;
  let upstream;
  // The vendor's limits hold for forwarded calls too: they wait for the process's pacer like the rest.
  let release: (() => void) | undefined;
  try {
    release = await deps.easel.acquire('openai', hangUp.signal);
    upstream = await vendorRequest(built.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${endpoint.apiKey()}`, 'content-type': 'application/json' },
      body: JSON.stringify(built.fields),
      signal: hangUp.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      dispatcher: vendorPool,
    });
  } catch {
    release?.();
    // Cut off before an answer: billed as the router bills an abandoned OpenAI call (catalog/billing.ts).
    if (reservation && abandonedIsCharged('openai', 'inFlight'))
      reservation.settle(costOf(candidate.model, { images: call.n, width: call.width, height: call.height, quality: call.quality }).usd);
    else reservation?.release();
    // A caller who hung up gets nothing more; a timeout or a network error goes to the full path.
    if (hangUp.signal.aborted) throw new AbortedError('the client closed the request', { provider: 'openai', model: candidate.model.id });
    return undefined;
  }
  if (upstream.statusCode !== 200) {
    // Nothing is sent yet: the full path asks again and retries, falls back or explains the error.
    await upstream.body.dump();
    release();
    reservation?.release();
    return undefined;
  }
  const latencyMs = performance.now() - started;
  const usd = costOf(candidate.model, { images: call.n, width: call.width, height: call.height, quality: call.quality }).usd;
  const requestId = [upstream.headers['x-request-id']].flat()[0];
  const length = upstream.headers['content-length'];
  const headers = {
    'content-type': 'application/json',
    ...(typeof length === 'string' ? { 'content-length': length } : {}),
    'x-easel-model': candidate.model.id,
    'x-easel-provider': 'openai',
    'x-easel-cost-usd': usd === null ? 'unknown' : String(usd),
    'x-easel-attempts': '1',
    'x-easel-latency-ms': String(Math.round(latencyMs)),
    ...(requestId ? { 'x-easel-request-ids': requestId } : {}),
    ...(endpoint.target === 'sandbox' ? { 'x-easel-sandbox': 'true' } : {}),
    'x-easel-forwarded': 'true',
  };
  // Set one by one rather than passed to writeHead, so the request log can read them back.
  for (const [name, value] of Object.entries(headers)) outgoing.setHeader(name, value);
  outgoing.writeHead(200);
  await streamBack(upstream.body, outgoing).finally(release);
  // The vendor answered 200: it has charged, whether or not the client stayed to read the answer.
  // Booked once the answer is out, so the bookkeeping is not on the client's wait.
  reservation?.settle(usd);
  deps.metrics.recordAttempt({ provider: 'openai', model: candidate.model.id, latencyMs, outcome: 'success', costUsd: usd });
  return RESPONSE_ALREADY_SENT;
}

/**
 * Pipes the vendor's body to the client and resolves when the answer is done or the client gone
 * (a client that leaves aborts the vendor call, see above). Plain `pipe` rather than
 * `stream.pipeline`: pipeline builds (and on finishing aborts) an AbortController per call, a
 * DOMException every request for nothing.
 */
function streamBack(body: Readable, outgoing: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    body.once('error', () => outgoing.destroy());
    outgoing.once('close', () => resolve());
    body.pipe(outgoing);
  });
}
