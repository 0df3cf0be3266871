/**
 * Starts the gateway on Node. With no gateway key created it listens on loopback only and warns once;
 * once a key exists, every call needs one.
 */
import { type ServerType, serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Easel } from '../easel.js';
import { createGatewayApp } from './app.js';
import type { GatewayDeps } from './context.js';
import { resumeGatewayJobs } from './jobs/routes.js';
import { KeyStore } from './auth/keys.js';
import { ImageFileStore } from './files/store.js';
import { GatewayMetrics } from './metrics/metrics.js';
import { WebhookCompletions } from './webhooks/completions.js';
import { vendorWebhookKeys } from './webhooks/keys.js';

export interface GatewayOptions {
  easel: Easel;
  port?: number;
  host?: string;
  /** Where gateway keys are stored (default `<stateDir>/gateway.db`). */
  keysPath?: string;
  stateDir?: string;
  publicUrl?: string;
  maxBodyBytes?: number;
  maxImagePixels?: number;
  /**
   * Most bytes of image held in memory for `response_format: url` answers (default 128 MiB). When a
   * new answer does not fit, the oldest are dropped first and their URLs answer 404 saying so.
   */
  urlBudgetBytes?: number;
  onNotice?: (line: string) => void;
  /** Structured request log (the CLI logs to stderr). */
  logger?: Logger;
  /** Verified vendor webhook deliveries. */
  onWebhook?: (vendor: 'replicate' | 'fal', id: string, body: unknown) => void;
}

export interface Gateway {
  url: string;
  keys: KeyStore;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const keys = new KeyStore(options.keysPath ?? join(options.stateDir ?? '.easel', 'gateway.db'));
  const open = !keys.hasActiveKeys();
  const host = options.host ?? '127.0.0.1';
  if (open && !LOOPBACK.has(host)) {
    keys.close();
    throw new Error(`no gateway key exists, so the gateway only listens on loopback; create one with \`easel keys create\` before listening on ${host}`);
  }
  if (open) (options.onNotice ?? console.warn)('easel gateway: no gateway key exists, so calls need no key and only this machine can connect (loopback). Create one with `easel keys create`.');
  let url = '';
  const metrics = new GatewayMetrics(options.easel.health);
  // Vendors can call back only where the gateway is publicly reachable; without that, jobs poll.
  const completions = options.publicUrl ? new WebhookCompletions(options.publicUrl) : undefined;
  const deps: GatewayDeps = {
    easel: options.easel,
    files: new ImageFileStore({ maxBytes: options.urlBudgetBytes }),
    keys,
    metrics,
    publicUrl: () => options.publicUrl ?? url,
    maxBodyBytes: options.maxBodyBytes ?? 25 * 1024 * 1024,
    maxImagePixels: options.maxImagePixels ?? 16_777_216,
    logger: options.logger,
    webhooks: {
      ...vendorWebhookKeys(options.easel),
      onDelivery: (vendor, id, body) => {
        completions?.deliver(vendor, id, body);
        options.onWebhook?.(vendor, id, body);
      },
    },
    completions,
    jobsDir: join(options.stateDir ?? '.easel', 'gateway-jobs'),
  };
  const app = createGatewayApp(deps);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  // Jobs a stopped gateway left unfinished go on now that file URLs can be answered again.
  let resumed: string[];
  try {
    resumed = resumeGatewayJobs(deps);
  } catch (error) {
    // A job store that cannot be read (corrupt, locked): the gateway must not keep listening half-started.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    keys.close();
    throw error;
  }
  if (resumed.length > 0) (options.onNotice ?? console.warn)(`easel gateway: resuming ${resumed.length} unfinished job(s): ${resumed.join(', ')}`);
  return {
    url,
    keys,
    close: async () => {
      await new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      });
      keys.close();
    },
  };
}
