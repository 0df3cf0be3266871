/**
 * Starts the gateway on Node. With no gateway key created it listens on loopback only and warns once;
 * once a key exists, every call needs one.
 */
import { type ServerType, serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Job } from '../batch/types.js';
import type { Easel } from '../easel.js';
import { createGatewayApp } from './app.js';
import type { GatewayDeps } from './context.js';
import { resumeGatewayJobs, unfinishedGatewayJobs } from './jobs/routes.js';
import { KeyStore } from './auth/keys.js';
import { ImageFileStore } from './files/store.js';
import { GatewayMetrics } from './metrics/metrics.js';
import { WebhookCompletions } from '../webhooks/completions.js';
import { vendorWebhookKeys } from '../webhooks/keys.js';
import type { ReplayStore } from '../webhooks/replay.js';
import { RedisReplayStore } from '../webhooks/replay-redis.js';
import { SqliteReplayStore } from '../webhooks/replay-sqlite.js';
import { WEBHOOK_MAX_BODY_BYTES } from '../webhooks/routes.js';

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
  /**
   * Redis that gateway replicas share (`redis://[user:password@]host:port[/db]`; the CLI's
   * `--redis-url`, else $EASEL_REDIS_URL): webhook deliveries are recorded there against replays.
   * Unset: they are recorded in the gateway's own database (`gateway.db`), which survives restarts
   * and is shared by gateways on the same state folder.
   */
  redisUrl?: string;
  /** Prepended to the gateway's Redis keys (deployments sharing one Redis); default `easel:webhook-replay:`. */
  redisKeyPrefix?: string;
  /** See GatewayDeps.isAllowedImageAddress (default: public addresses only). */
  isAllowedImageAddress?: (address: string, port: number) => boolean;
}

export interface Gateway {
  url: string;
  keys: KeyStore;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  // Not echoed: the URL may hold a password.
  if (options.redisUrl !== undefined && !/^rediss?:\/\/[^/]/.test(options.redisUrl))
    throw new Error('the Redis URL for webhook replay records must look like redis://host:port or rediss://host:port');
  const keysPath = options.keysPath ?? join(options.stateDir ?? '.easel', 'gateway.db');
  const keys = new KeyStore(keysPath);
  const open = !keys.hasActiveKeys();
  const host = options.host ?? '127.0.0.1';
  if (open && !LOOPBACK.has(host)) {
    keys.close();
    throw new Error(`no gateway key exists, so the gateway only listens on loopback; create one with \`easel keys create\` before listening on ${host}`);
  }
  if (open)
    (options.onNotice ?? console.warn)(
      'easel gateway: no gateway key exists, so calls need no key and only this machine can connect (loopback). Create one with `easel keys create`.',
    );
  const replay = openReplayStore(options, keysPath);
  let url = '';
  const metrics = new GatewayMetrics(options.easel.health);
  // Vendors can call back only where the gateway is publicly reachable; without that, jobs poll.
  const completions = options.publicUrl ? new WebhookCompletions(options.publicUrl) : undefined;
  const maxBodyBytes = options.maxBodyBytes ?? 25 * 1024 * 1024;
  const deps: GatewayDeps = {
    easel: options.easel,
    files: new ImageFileStore({ maxBytes: options.urlBudgetBytes }),
    keys,
    metrics,
    publicUrl: () => options.publicUrl ?? url,
    maxBodyBytes,
    maxImagePixels: options.maxImagePixels ?? 16_777_216,
    logger: options.logger,
    webhooks: {
      ...vendorWebhookKeys(options.easel),
      replay,
      // Webhooks are posted by anyone before a signature is checked: bounded by what a delivery
      // carries, never more than any other request.
      maxBodyBytes: Math.min(WEBHOOK_MAX_BODY_BYTES, maxBodyBytes),
      onDelivery: (vendor, id, body) => {
        completions?.deliver(vendor, id, body);
        options.onWebhook?.(vendor, id, body);
      },
    },
    completions,
    jobsDir: join(options.stateDir ?? '.easel', 'gateway-jobs'),
    isAllowedImageAddress: options.isAllowedImageAddress,
  };
  const app = createGatewayApp(deps);
  // Read before listening: no request may start a job while the left-over ones are being told apart.
  let unfinished: Job[];
  try {
    unfinished = await unfinishedGatewayJobs(deps);
  } catch (error) {
    // A job store that cannot be read (corrupt, locked): the gateway does not start.
    keys.close();
    await replay.close();
    throw error;
  }
  const server: ServerType = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host }, () => resolve(s));
    s.once('error', reject);
  }).catch(async (error: unknown) => {
    keys.close();
    await replay.close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  // Jobs a stopped gateway left unfinished go on now that file URLs can be answered again.
  let resumed: string[];
  try {
    resumed = await resumeGatewayJobs(deps, unfinished);
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
      await replay.close();
    },
  };
}

/** Redis when configured, else a table in the gateway's own database (beside the keys). */
function openReplayStore(options: GatewayOptions, keysPath: string): Required<ReplayStore> {
  if (!options.redisUrl) return new SqliteReplayStore(keysPath);
  let down = false;
  const redis = new RedisReplayStore(options.redisUrl, {
    keyPrefix: options.redisKeyPrefix,
    // One line per outage; the URL may hold a password, so only the error's own words are shown.
    onError: (error) => {
      if (down) return;
      down = true;
      (options.onNotice ?? console.warn)(
        `easel gateway: Redis (webhook replay records) is unreachable: ${error.message}; webhooks are refused with 503 until it is back.`,
      );
    },
    onReady: () => (down = false),
  });
  return redis;
}
