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
import { KeyStore } from './auth/keys.js';
import { ImageFileStore } from './files/store.js';
import { GatewayMetrics } from './metrics/metrics.js';
import { fetchJwks } from './webhooks/jwks.js';

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
  onNotice?: (line: string) => void;
  /** Structured request log (the CLI logs to stderr). */
  logger?: Logger;
  /** Verified vendor webhook deliveries. */
  onWebhook?: (vendor: 'replicate' | 'fal', id: string, body: unknown) => void;
}

/**
 * Replicate's signing secret comes from its API (one per account); FAL's public keys from its JWKS.
 * Both are fetched from wherever easel sends that vendor's calls (the sandbox serves its own), once.
 */
function vendorWebhookKeys(easel: Easel) {
  let secret: Promise<string> | undefined;
  return {
    replicateSecret: () =>
      (secret ??= easel
        .endpoint('replicate')
        .then(async (e) => {
          const response = await fetch(`${e.baseUrl}/webhooks/default/secret`, { headers: { authorization: `Bearer ${e.apiKey()}` } });
          if (!response.ok) throw new Error(`replicate: the webhook signing secret could not be read (HTTP ${response.status})`);
          return ((await response.json()) as { key: string }).key;
        })
        .catch((error: unknown) => {
          secret = undefined; // a failed read is tried again on the next delivery
          throw error;
        })),
    // Cached for 24 h by fetchJwks, as FAL asks; refreshed early when a signature fails to verify.
    falJwks: async (refresh = false) => {
      const e = await easel.endpoint('fal');
      const url = e.target === 'vendor' ? 'https://rest.alpha.fal.ai/.well-known/jwks.json' : `${e.baseUrl.replace(/\/queue\/?$/, '')}/rest/.well-known/jwks.json`;
      return fetchJwks(url, refresh ? { maxAgeMs: 0 } : {});
    },
  };
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
  const app = createGatewayApp({
    easel: options.easel,
    files: new ImageFileStore(),
    keys,
    metrics,
    publicUrl: () => options.publicUrl ?? url,
    maxBodyBytes: options.maxBodyBytes ?? 25 * 1024 * 1024,
    maxImagePixels: options.maxImagePixels ?? 16_777_216,
    logger: options.logger,
    webhooks: { ...vendorWebhookKeys(options.easel), onDelivery: options.onWebhook },
  });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
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
