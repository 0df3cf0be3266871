/** easel's native API: the full request in, the full result (with the routing decision) out. */
import { Hono } from 'hono';
import type { ImageRequest } from '../../core/request.js';
import { resultSummary } from '../../core/result.js';
import { allowedRequest, keyBudgetHook } from '../auth/enforce.js';
import type { GatewayDeps, GatewayEnv } from '../context.js';
import { readJsonObject } from '../body.js';
import { GatewayError } from '../errors.js';
import { safeFetchImage } from '../ssrf/safe-fetch.js';

/**
 * Images on the native API: data URLs as they are, http(s) URLs fetched SSRF-safely here. Anything
 * else (a file path above all) is refused: the gateway never reads its own disk for a client.
 */
async function remoteImage(value: unknown, field: 'image' | 'mask'): Promise<unknown> {
  if (typeof value !== 'string') return value;
  if (value.startsWith('data:')) return value;
  if (!/^https?:\/\//i.test(value)) throw new GatewayError(400, `${field} must be a data URL or an http(s) URL.`, 'invalid_request_error', 'invalid_value', field);
  const fetched = await safeFetchImage(value, { field });
  return fetched.bytes;
}

export function nativeRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.post('/generate', async (c) => {
    const request = await readJsonObject(c, 'an easel ImageRequest');
    for (const field of ['image', 'mask'] as const) request[field] = await remoteImage(request[field], field);
    const key = c.get('key');
    const allowed = allowedRequest(key, request as ImageRequest);
    const controller = new AbortController();
    // The caller hung up: stop the vendor work instead of paying for nothing (reservations settle as attempts end).
    c.req.raw.signal?.addEventListener('abort', () => controller.abort(), { once: true });
    const reserve = keyBudgetHook(deps, key);
    const result = await deps.easel.run({ ...allowed, signal: controller.signal }, reserve && { reserve });
    deps.metrics.recordResult(result);
    const summary = resultSummary(result);
    return c.json({ ...summary, images: result.images.map((image, i) => ({ ...(summary.images as object[])[i], b64_json: Buffer.from(image.bytes).toString('base64') })) });
  });
  return app;
}
