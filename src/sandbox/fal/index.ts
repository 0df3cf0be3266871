/**
 * FAL under `/fal`: the queue host (`/fal/queue`, production `https://queue.fal.run`), the
 * synchronous host (`/fal/run`, production `https://fal.run`), the Platform API's request listing
 * (`/fal/api/v1`, production `https://api.fal.ai/v1`) and the JWKS that verifies its
 * webhooks (`/fal/rest/.well-known/jwks.json`). Status, result and cancel drop the app's subpath:
 * `fal-ai/flux/requests/{id}/status` for `fal-ai/flux/dev` (protocols.md 4.2).
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { type SandboxContext, type SandboxEnv, moderationRequested } from '../context.js';
import { type FalInput, type FieldError, findApp, validateInput } from './apps.js';
import { imageSize } from '../draw.js';
import { InputFileError, readInputFile } from '../inputs.js';
import { FalEngine, type FalRequest } from './engine.js';
import { falError, falGate } from './errors.js';
import { listRequests } from './platform.js';
import { FalWebhookSigner } from './signing.js';

export function falSandbox(ctx: SandboxContext): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();
  const signer = new FalWebhookSigner();
  const engine = new FalEngine(ctx, signer);
  const gate = ctx.gate(falGate);
  const submitGate = ctx.gate(falGate, { submit: true });
  const pollGate = ctx.gate(falGate, { kind: 'poll' });
  const streamGate = ctx.gate(falGate, { kind: 'stream' });
  const resultGate = ctx.gate(falGate, { kind: 'result' });
  const queueRoot = () => `${ctx.baseUrl()}/fal/queue`;

  app.get('/rest/.well-known/jwks.json', (c) => c.json(signer.jwks()));

  const find = (c: Context<SandboxEnv>): FalRequest | Response => {
    const request = engine.get(c.req.param('id')!);
    const base = `${c.req.param('owner')}/${c.req.param('app')}`;
    // Results belong to the key that submitted them.
    if (!request || request.base !== base || request.apiKey !== c.get('apiKey')) return falError(c, 404, `Request ${c.req.param('id')} not found`);
    return request;
  };
  const urls = (request: FalRequest) => {
    const root = `${queueRoot()}/${request.base}/requests/${request.id}`;
    return { response_url: root, status_url: `${root}/status`, cancel_url: `${root}/cancel` };
  };

  const statusBody = (request: FalRequest, logs: boolean) => ({
    status: request.status,
    request_id: request.id,
    ...urls(request),
    ...(request.status === 'IN_QUEUE' ? { queue_position: engine.queuePosition(request) } : {}),
    ...(logs && request.status !== 'IN_QUEUE' ? { logs: request.logs } : { logs: null }),
    ...(request.status === 'COMPLETED' && request.inferenceSeconds !== undefined ? { metrics: { inference_time: request.inferenceSeconds } } : {}),
  });
  const wantsLogs = (c: Context<SandboxEnv>) => c.req.query('logs') === '1' || c.req.query('logs') === 'true';

  app.get('/queue/:owner/:app/requests/:id/status', pollGate, (c) => {
    const request = find(c);
    if (request instanceof Response) return request;
    return c.json(statusBody(request, wantsLogs(c)), request.status === 'COMPLETED' ? 200 : 202);
  });

  // The status as server-sent events: the current status at once, then every change; the stream
  // ends after COMPLETED (the official client's streaming mode waits for that end).
  app.get('/queue/:owner/:app/requests/:id/status/stream', streamGate, (c) => {
    const request = find(c);
    if (request instanceof Response) return request;
    const logs = wantsLogs(c);
    return streamSSE(c, async (stream) => {
      let finished!: () => void;
      const ended = new Promise<void>((resolve) => (finished = resolve));
      // Writes are chained so the COMPLETED event is on the wire before the stream closes.
      let written = Promise.resolve();
      const send = (current: FalRequest) => {
        const data = JSON.stringify(statusBody(current, logs));
        written = written.then(() => stream.writeSSE({ data }));
        if (current.status === 'COMPLETED') finished();
      };
      request.watchers.add(send);
      stream.onAbort(finished);
      try {
        send(request);
        await ended;
        await written;
      } finally {
        request.watchers.delete(send);
      }
    });
  });

  app.get('/queue/:owner/:app/requests/:id', resultGate, (c) => {
    const request = find(c);
    if (request instanceof Response) return request;
    if (!request.outcome) return falError(c, 400, 'Request is still in progress');
    return c.body(JSON.stringify(request.outcome.body), request.outcome.status as 200, { 'content-type': 'application/json', 'x-fal-request-id': request.id });
  });

  app.put('/queue/:owner/:app/requests/:id/cancel', gate, (c) => {
    const request = find(c);
    if (request instanceof Response) return c.json({ status: 'NOT_FOUND' }, 404);
    const status = engine.cancel(request);
    return c.json({ status }, status === 'ALREADY_COMPLETED' ? 400 : 202);
  });

  const accept = async (c: Context<SandboxEnv>, host: 'queue' | 'run') => {
    const path = new URL(c.req.url).pathname.replace(new RegExp(`^.*?/fal/${host}/`), '');
    const parts = path.split('/').filter(Boolean);
    const falApp = findApp(parts);
    if (parts.length < 2 || !falApp) return falError(c, 404, `Application '${parts.slice(0, 2).join('/') || '(none)'}' not found`);
    const body = await c.req.json().catch(() => undefined);
    const checked = validateInput(falApp, body);
    if ('errors' in checked) return falError(c, 422, checked.errors);
    if (falApp.kind === 'fill') {
      const files = await readFillFiles(checked.input);
      if (files) return falError(c, 422, files);
    }
    const fields = {
      app: falApp,
      payload: body,
      base: parts.slice(0, 2).join('/'),
      input: checked.input,
      apiKey: c.get('apiKey'),
      moderated: checked.input.safetyChecker && moderationRequested(c, checked.input.prompt),
      webhook: c.req.query('fal_webhook') || undefined,
    };
    if (host === 'run') {
      // The synchronous host answers in one go (and is never retried by FAL itself).
      const { request, done } = engine.submit({ ...fields, webhook: undefined });
      const outcome = await done;
      return c.body(JSON.stringify(outcome.body), outcome.status as 200, { 'content-type': 'application/json', 'x-fal-request-id': request.id });
    }
    const { request } = engine.submit(fields);
    return c.json({ status: 'IN_QUEUE', request_id: request.id, ...urls(request), queue_position: engine.queuePosition(request) }, 200, {
      'x-fal-request-id': request.id,
    });
  };

  /** Reads a fill app's image and mask (as FAL's workers download them) and checks they match; errors or nothing. */
  const readFillFiles = async (input: FalInput): Promise<FieldError[] | undefined> => {
    type Read = { bytes: Uint8Array; size: { width: number; height: number } } | FieldError;
    const read = async (field: 'image_url' | 'mask_url', value: string): Promise<Read> => {
      try {
        const bytes = await readInputFile(value, ctx, field);
        return { bytes, size: await imageSize(bytes) };
      } catch (error) {
        return { loc: ['body', field], msg: error instanceof InputFileError ? error.message : `${field}: not a readable image`, type: 'file_download_error' };
      }
    };
    const [image, mask] = await Promise.all([read('image_url', input.imageUrl!), read('mask_url', input.maskUrl!)]);
    if ('loc' in image || 'loc' in mask) return [image, mask].filter((r): r is FieldError => 'loc' in r);
    if (image.size.width !== mask.size.width || image.size.height !== mask.size.height) {
      return [
        {
          loc: ['body', 'mask_url'],
          msg: `The mask (${mask.size.width}x${mask.size.height}) must have the same dimensions as the image (${image.size.width}x${image.size.height})`,
          type: 'value_error',
        },
      ];
    }
    Object.assign(input, { image: image.bytes, mask: mask.bytes, width: image.size.width, height: image.size.height });
    return undefined;
  };

  app.get('/api/v1/models/requests/by-endpoint', gate, (c) => listRequests(c, engine));

  app.post('/queue/*', submitGate, (c) => accept(c, 'queue'));
  app.post('/run/*', submitGate, (c) => accept(c, 'run'));
  return app;
}
