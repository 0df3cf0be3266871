/** Runs a mapped OpenAI request for a caller: key limits first, then easel (the key's budget held per attempt), then OpenAI's answer shape. */
import type { Context } from 'hono';
import type { ImageRequest } from '../../core/request.js';
import { allowedRequest, keyBudgetHook } from '../auth/enforce.js';
import type { GatewayDeps, GatewayEnv } from '../context.js';
import { type ResponseFormat, metadataHeaders } from './mapping.js';
import { imagesResponse } from './response.js';

export async function runImages(c: Context<GatewayEnv>, deps: GatewayDeps, request: ImageRequest, format: ResponseFormat): Promise<Response> {
  const controller = new AbortController();
  // The caller hung up: stop the vendor work (adapters cancel their jobs) instead of paying for nothing.
  c.req.raw.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const key = c.get('key');
  const allowed = allowedRequest(key, request);
  // A key's budget is held per vendor attempt by the router (every attempt settles before run ends).
  const reserve = keyBudgetHook(deps, key);
  const result = await deps.easel.run({ ...allowed, signal: controller.signal }, reserve && { reserve });
  deps.metrics.recordResult(result);
  const urls = format === 'url' ? result.images.map((image) => `${deps.publicUrl()}/v1/files/${deps.files.put(image.bytes, image.mediaType)}`) : [];
  return new Response(
    imagesResponse(result, format, (i) => urls[i]!),
    {
      status: 200,
      headers: { 'content-type': 'application/json', ...metadataHeaders(result) },
    },
  );
}
