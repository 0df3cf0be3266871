/** What every route group of the gateway receives: the easel instance and shared services. */
import type { WebhookCompletions } from '../webhooks/completions.js';
import type { Logger } from 'pino';
import type { Easel } from '../easel.js';
import type { WebhookOptions } from '../webhooks/routes.js';
import type { GatewayKey, KeyStore } from './auth/keys.js';
import type { ImageFileStore } from './files/store.js';
import type { GatewayMetrics } from './metrics/metrics.js';

export interface GatewayDeps {
  easel: Easel;
  files: ImageFileStore;
  keys: KeyStore;
  metrics: GatewayMetrics;
  /** The gateway's own public base URL (for `url` responses). */
  publicUrl: () => string;
  /** Largest request body accepted (bytes). */
  maxBodyBytes: number;
  /** Largest input image accepted (pixels). */
  maxImagePixels: number;
  /** Structured request log; absent in tests. */
  logger?: Logger;
  /** Where vendors' webhook secrets and keys come from; receivers answer 404 without them. */
  webhooks?: WebhookOptions;
  /** Where jobs write their images (default: a folder under the system's temp dir). */
  jobsDir?: string;
  /** Set when the gateway has a public URL: its jobs complete by webhook instead of polling. */
  completions?: WebhookCompletions;
  /**
   * Which (address, port) pairs image URLs from clients may reach, on every route. Default: public
   * unicast addresses only. Tests allow one loopback image server here; a deployment has no reason to.
   */
  isAllowedImageAddress?: (address: string, port: number) => boolean;
}

export type GatewayEnv = { Variables: { key: GatewayKey | undefined } };
