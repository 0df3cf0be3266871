/** OpenAI-compatible images API: generations (JSON), edits and variations (multipart), models. */
import { type Context, Hono } from 'hono';
import { readJsonObject } from '../../http/body.js';
import { CATALOG } from '../../catalog/index.js';
import { inspectImage } from '../../core/image-input.js';
import type { ImageRequest } from '../../core/request.js';
import type { GatewayDeps, GatewayEnv } from '../context.js';
import { GatewayError } from '../../http/errors.js';
import { forwardToOpenAI } from './forward.js';
import { IMAGE_FIELDS, mapBody } from './mapping.js';
import { imageInputPolicy } from '../inputs/policy.js';
import { runImages } from './run.js';

export function openaiRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const policy = imageInputPolicy({ isAllowedAddress: deps.isAllowedImageAddress });

  app.post('/images/generations', async (c) => {
    const body = await jsonBody(c);
    const { request, responseFormat } = mapBody(body, 'generate');
    const forwarded = responseFormat === 'b64_json' ? await forwardToOpenAI(c, deps, request) : undefined;
    return forwarded ?? runImages(c, deps, request, responseFormat);
  });

  /** An image part's bytes: a file as sent, text read by the gateway's input policy (only once the request is otherwise valid). */
  const bytesOf = async (part: ImagePart, field: string, signal: AbortSignal): Promise<Uint8Array<ArrayBuffer>> =>
    typeof part === 'string' ? new Uint8Array(await policy.read(part, field, signal)) : part;

  app.post('/images/edits', async (c) => {
    const { fields, images } = await multipartBody(c.req.raw);
    const given = [...(images.image ?? []), ...(images['image[]'] ?? [])];
    if (given.length === 0) throw new GatewayError(400, "Missing required parameter: 'image'.", { code: 'missing_required_parameter', param: 'image' });
    if (given.length > 1) throw new GatewayError(400, 'easel edits one image per request; send a single `image`.', { code: 'invalid_value', param: 'image' });
    if ((images.mask?.length ?? 0) > 1) throw new GatewayError(400, 'Send at most one `mask`.', { code: 'invalid_value', param: 'mask' });
    const { request, responseFormat } = mapBody(fields, 'edit');
    const image = await bytesOf(given[0]!, 'image', c.req.raw.signal);
    const mask = images.mask?.[0] === undefined ? undefined : await bytesOf(images.mask[0], 'mask', c.req.raw.signal);
    await checkPixels(image, 'image', deps.maxImagePixels);
    if (mask) await checkPixels(mask, 'mask', deps.maxImagePixels);
    const edit: ImageRequest = { ...request, image, ...(mask ? { mask } : {}) };
    return runImages(c, deps, edit, responseFormat);
  });

  app.post('/images/variations', async (c) => {
    const { fields, images } = await multipartBody(c.req.raw);
    const part = images.image?.[0];
    if (part === undefined) throw new GatewayError(400, "Missing required parameter: 'image'.", { code: 'missing_required_parameter', param: 'image' });
    // Refused rather than ignored: a variation is of one image, and takes no mask.
    if ((images.image?.length ?? 0) > 1 || images['image[]'])
      throw new GatewayError(400, 'Variations take a single `image`.', { code: 'invalid_value', param: 'image' });
    if (images.mask)
      throw new GatewayError(400, 'Unrecognized request argument supplied: mask. Variations take no mask.', { code: 'unknown_parameter', param: 'mask' });
    const { request, responseFormat } = mapBody(fields, 'variation');
    const image = await bytesOf(part, 'image', c.req.raw.signal);
    await checkPixels(image, 'image', deps.maxImagePixels);
    return runImages(c, deps, { ...request, image }, responseFormat);
  });

  app.get('/models', (c) =>
    c.json({
      object: 'list',
      data: [
        { id: 'auto', object: 'model', created: 0, owned_by: 'easel' },
        ...CATALOG.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.provider })),
      ],
    }),
  );

  return app;
}

/** Refuses images over the gateway's pixel limit before anything else reads them. */
async function checkPixels(bytes: Uint8Array, field: string, maxPixels: number): Promise<void> {
  await inspectImage(bytes, { field, maxPixels }).catch((error: unknown) => {
    throw new GatewayError(400, error instanceof Error ? error.message : `${field} is not a readable image`, { code: 'invalid_image', param: field });
  });
}

async function jsonBody(c: Context<GatewayEnv>): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.includes('application/json')) throw new GatewayError(400, 'Send the request body as application/json.', { code: 'invalid_content_type' });
  return readJsonObject(c);
}

/** An image field's part: a file's bytes, or text (a data URL, base64 or an http(s) URL) for the input policy. */
type ImagePart = Uint8Array<ArrayBuffer> | string;

/**
 * Multipart text fields, and the image fields' parts (by field name; repeated ones collect). Files in
 * other fields are ignored. Nothing is fetched here: the routes read at most an image and a mask.
 */
async function multipartBody(request: Request): Promise<{ fields: Record<string, unknown>; images: Record<string, ImagePart[]> }> {
  const type = request.headers.get('content-type') ?? '';
  if (!type.includes('multipart/form-data')) throw new GatewayError(400, 'Send edits and variations as multipart/form-data.', { code: 'invalid_content_type' });
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw new GatewayError(400, 'We could not parse the multipart body of your request.', { code: 'invalid_multipart' });
  }
  const fields: Record<string, unknown> = {};
  const images: Record<string, ImagePart[]> = {};
  for (const [name, value] of form.entries()) {
    if (IMAGE_FIELDS.has(name)) (images[name] ??= []).push(typeof value === 'string' ? value : new Uint8Array(await value.arrayBuffer()));
    else if (typeof value === 'string') fields[name] = value;
  }
  return { fields, images };
}
