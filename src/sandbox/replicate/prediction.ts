/** A prediction as the sandbox holds it, and its wire form (protocols.md 3.4). */
import { randomBytes } from 'node:crypto';
import type { SandboxModel } from './models.js';

export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
export const WEBHOOK_EVENTS = ['start', 'output', 'logs', 'completed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface Prediction {
  id: string;
  model: SandboxModel;
  /** `input` exactly as the client sent it (the API echoes it back). */
  input: Record<string, unknown>;
  /** Validated input with the schema's defaults filled in: what the model runs with. */
  resolvedInput: Record<string, unknown>;
  status: PredictionStatus;
  output: string | string[] | null;
  error: string | null;
  logs: string;
  createdAt: Date;
  startedAt: Date | undefined;
  completedAt: Date | undefined;
  /** Vendor-time seconds of model compute (not scaled by the sandbox time scale). */
  predictTime: number | undefined;
  webhook: string | undefined;
  webhookEventsFilter: WebhookEvent[] | undefined;
  /**
   * The simulated compute time is over and only the real drawing is left. A `Prefer: wait` that
   * times out now still waits: on the vendor's (scaled) clock the prediction has already finished.
   */
  finishing: boolean;
  /** Settles when the prediction reaches a terminal state. */
  done: Promise<void>;
  /** Stops the run (cancel). */
  abort: AbortController;
}

export const TERMINAL: readonly PredictionStatus[] = ['succeeded', 'failed', 'canceled'];

export function isTerminal(p: Pick<Prediction, 'status'>): boolean {
  return TERMINAL.includes(p.status);
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Replicate-style ids: 26 lowercase base-36 characters. */
export function replicateId(length = 26): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}

/**
 * The prediction object of GET/POST answers and webhook bodies. `statusOverride` renders a
 * `Prefer: wait` that ran out of time as `starting`: the API documents that, and the official
 * client's `run()` only keeps polling when it sees `starting`.
 */
export function predictionJson(p: Prediction, apiBase: string, statusOverride?: PredictionStatus): Record<string, unknown> {
  const status = statusOverride ?? p.status;
  const body: Record<string, unknown> = {
    id: p.id,
    model: `${p.model.owner}/${p.model.name}`,
    version: p.model.version,
    input: p.input,
    logs: statusOverride ? '' : p.logs,
    output: statusOverride ? null : p.output,
    data_removed: false,
    error: statusOverride ? null : p.error,
    status,
    source: 'api',
    created_at: p.createdAt.toISOString(),
    started_at: statusOverride ? null : (p.startedAt?.toISOString() ?? null),
    completed_at: statusOverride ? null : (p.completedAt?.toISOString() ?? null),
    urls: {
      cancel: `${apiBase}/predictions/${p.id}/cancel`,
      get: `${apiBase}/predictions/${p.id}`,
      web: `https://replicate.com/p/${p.id}`,
    },
    metrics: metrics(p, statusOverride !== undefined),
  };
  if (p.webhook) {
    body.webhook = p.webhook;
    body.webhook_events_filter = p.webhookEventsFilter ?? ['output', 'completed'];
  }
  return body;
}

function metrics(p: Prediction, hidden: boolean): Record<string, number> {
  if (hidden || !p.completedAt) return {};
  const out: Record<string, number> = { total_time: round3((p.completedAt.getTime() - p.createdAt.getTime()) / 1000) };
  if (p.predictTime !== undefined) out.predict_time = round3(p.predictTime);
  return out;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
