/** easel's native API: the full request in, the full result (with the routing decision) out. */
import { Hono } from 'hono';
import type { ImageRequest } from '../../core/request.js';
import { resultSummary } from '../../core/result.js';
import { allowedRequest, keyBudgetHook } from '../auth/enforce.js';
import type { GatewayDeps, GatewayEnv } from '../context.js';
import { readJsonObject } from '../../http/body.js';
import { imageInputPolicy } from '../inputs/policy.js';
import { clientProviderOptionUrls } from '../inputs/vendor-options.js';

export function nativeRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const images = imageInputPolicy({ isAllowedAddress: deps.isAllowedImageAddress });
  app.post('/generate', async (c) => {
    const request = await readJsonObject(c, 'an easel ImageRequest');
    const key = c.get('key');
    // The key's refusal first: a request it refuses fetches nothing.
    allowedRequest(key, request as ImageRequest);
    for (const [url, field] of clientProviderOptionUrls(request.providerOptions, 'providerOptions', images)) await images.vet(url, field);
    // Fetched here, by the gateway's input policy: what reaches easel is bytes, never a path or URL.
    for (const field of ['image', 'mask'] as const) if (request[field] !== undefined) request[field] = await images.read(request[field], field);
    const allowed = allowedRequest(key, request as ImageRequest);
    const controller = new AbortController();
    // The caller hung up: stop the vendor work instead of paying for nothing (reservations settle as attempts end).
    c.req.raw.signal?.addEventListener('abort', () => controller.abort(), { once: true });
    const reserve = keyBudgetHook(deps, key);
    const result = await deps.easel.run({ ...allowed, signal: controller.signal }, reserve && { reserve });
    deps.metrics.recordResult(result);
    const summary = resultSummary(result);
    return c.json({
      ...summary,
      images: result.images.map((image, i) => ({ ...(summary.images as object[])[i], b64_json: Buffer.from(image.bytes).toString('base64') })),
    });
  });
  return app;
}
