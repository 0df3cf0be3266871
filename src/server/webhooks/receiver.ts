/**
 * A stand-alone webhook receiver for processes that are not the gateway (`easel batch` with
 * `--webhook-url`): the same verified `/v1/webhooks/replicate` and `/v1/webhooks/fal` routes, feeding
 * deliveries to the batch's waiting items.
 */
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import type { Easel } from '../../easel.js';
import { renderError } from '../errors.js';
import type { WebhookCompletions } from './completions.js';
import { vendorWebhookKeys } from './keys.js';
import { webhookRoutes } from './routes.js';

export interface WebhookReceiver {
  /** Where it listens (loopback or the given host), not the public URL vendors use. */
  url: string;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: { easel: Easel; completions: WebhookCompletions; port?: number; host?: string }): Promise<WebhookReceiver> {
  const app = new Hono();
  app.onError((error, c) => renderError(c, error));
  app.route('/v1/webhooks', webhookRoutes({ ...vendorWebhookKeys(options.easel), onDelivery: (vendor, id, body) => options.completions.deliver(vendor, id, body) }));
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
