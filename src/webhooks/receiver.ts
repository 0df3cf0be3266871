/**
 * A stand-alone webhook receiver for processes that are not the gateway (`easel batch` with
 * `--webhook-url`): the same verified `/v1/webhooks/replicate` and `/v1/webhooks/fal` routes, with
 * the same body limit, feeding deliveries to the batch's waiting items.
 */
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { renderError } from '../http/errors.js';
import type { WebhookCompletions } from './completions.js';
import { vendorWebhookKeys, type WebhookVendors } from './keys.js';
import { ReplayCache, type ReplayStore } from './replay.js';
import { SqliteReplayStore } from './replay-sqlite.js';
import { webhookRoutes } from './routes.js';

export interface WebhookReceiver {
  /** Where it listens (loopback or the given host), not the public URL vendors use. */
  url: string;
  close(): Promise<void>;
}

export interface WebhookReceiverOptions {
  /** Where the vendors' calls go: their webhook signing keys are read there. */
  vendors: WebhookVendors;
  completions: WebhookCompletions;
  port?: number;
  host?: string;
  /** SQLite file that records deliveries against replays, so they are refused after a restart too; default in memory. */
  replayPath?: string;
  /** Largest delivery body read (bytes); default the gateway's `WEBHOOK_MAX_BODY_BYTES`. */
  maxBodyBytes?: number;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const replay: ReplayStore = options.replayPath ? new SqliteReplayStore(options.replayPath) : new ReplayCache();
  const app = new Hono();
  app.onError((error, c) => renderError(c, error));
  app.route(
    '/v1/webhooks',
    webhookRoutes({
      ...vendorWebhookKeys(options.vendors),
      replay,
      maxBodyBytes: options.maxBodyBytes,
      onDelivery: (vendor, id, body) => options.completions.deliver(vendor, id, body),
    }),
  );
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host }, () => resolve(s));
    s.once('error', reject);
  }).catch(async (error: unknown) => {
    await replay.close?.();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await replay.close?.();
    },
  };
}
