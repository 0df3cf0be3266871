/**
 * The sandbox server: one Hono app with each vendor under its own prefix and a control API under
 * `/_sandbox/`. `startSandbox()` listens on an ephemeral loopback port for tests and the no-key default.
 */
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { type SandboxUrls, sandboxUrls } from '../core/sandbox-urls.js';
import { Activity } from './activity.js';
import {
  answerFault,
  DEFAULT_REQUEST_LOG_SIZE,
  makeDelay,
  makeGate,
  makeLatency,
  type RecordedRequest,
  recordRequest,
  type SandboxContext,
  type SandboxEnv,
} from './context.js';
import { controlRoutes } from './control.js';
import { falSandbox } from './fal/index.js';
import { FaultInjector } from './faults.js';
import { FileStore } from './files.js';
import { randomVendorSeed } from './random.js';
import { Ledger, VENDORS, type Vendor } from './ledger.js';
import { openaiSandbox } from './openai/index.js';
import { DEFAULT_LIMITS, type SandboxOptions, SandboxOptionsSchema } from './options.js';
import { RateLimiter } from './rate-limit.js';
import { replicateSandbox } from './replicate/index.js';
import { Retention } from './retention.js';
import { stabilitySandbox } from './stability/index.js';
import { WebhookSender } from './webhooks.js';

export interface Sandbox {
  /** Root URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Base URLs to give each vendor's client. */
  urls: SandboxUrls;
  context: SandboxContext;
  close(): Promise<void>;
  /** Lets the process exit while the sandbox still listens (the in-process default sandbox). */
  unref(): void;
  /** How long no request was answered and no vendor job ran (0 while busy): the background sandbox's idle stop. */
  idleForMs(): number;
}

export type { SandboxUrls };

export function createSandboxApp(input: SandboxOptions = {}): {
  app: Hono<SandboxEnv>;
  context: SandboxContext;
  setBaseUrl: (url: string) => void;
  activity: Activity;
} {
  const options = SandboxOptionsSchema.parse(input);
  let baseUrl = options.publicUrl ?? `http://${options.host}:${options.port}`;
  let timeScale = options.timeScale;
  const scale = () => timeScale;
  const activity = new Activity();
  const delay = activity.tracking(makeDelay(scale));
  const track = <T>(job: Promise<T>): Promise<T> => {
    const end = activity.begin();
    return job.finally(end);
  };
  const retention = new Retention({ maxBytes: options.memoryBudgetBytes });
  const partial: Omit<SandboxContext, 'gate'> = {
    baseUrl: () => baseUrl,
    timeScale: scale,
    delay,
    track,
    latencyMs: makeLatency(scale),
    ledger: new Ledger(),
    faults: new FaultInjector(options.faults ?? {}),
    limits: new RateLimiter({ ...DEFAULT_LIMITS, ...options.limits }, scale),
    files: new FileStore(retention),
    retention,
    webhooks: new WebhookSender((ms) => delay(ms)),
    requests: [],
    requestLogSize: options.requestLogSize ?? DEFAULT_REQUEST_LOG_SIZE,
    fixedKeys: options.fixedKeys ?? {},
    coldStart: options.coldStart,
    grain: options.grain ?? 0,
    // A fixed seed lets a benchmark's sandbox serve one drawing from memory instead of drawing each time.
    pickSeed: () => options.fixedSeed ?? randomVendorSeed(),
  };
  const context: SandboxContext = { ...partial, gate: makeGate(partial) };

  const app = new Hono<SandboxEnv>();
  app.use(async (_c, next) => {
    const end = activity.begin();
    try {
      await next();
    } finally {
      end();
    }
  });
  app.route('/_sandbox', controlRoutes(context, { setTimeScale: (s) => (timeScale = s) }));
  app.get('/files/:vendor/:id', async (c) => {
    const vendor = c.req.param('vendor');
    const record: RecordedRequest = { vendor: 'files', method: 'GET', path: c.req.path, at: new Date().toISOString() };
    recordRequest(context, record);
    // Output downloads fail like a CDN's: a 5xx, a reset or a hang, never a changed job.
    const fault = isVendor(vendor) ? context.faults.decide(vendor, 'GET', c.req.path, c.req.header('x-sandbox-fault'), 'download') : undefined;
    if (fault) record.fault = fault.kind === 'status' ? String(fault.status) : fault.kind;
    const faulted = await answerFault(context, c, fault, (error) =>
      c.text(error.message, error.status as 500, error.retryAfterMs === undefined ? {} : { 'retry-after': String(Math.max(0.001, error.retryAfterMs / 1000)) }),
    );
    if (faulted) {
      record.status = faulted.status;
      return faulted;
    }
    const file = context.files.get(`${vendor}/${c.req.param('id')}`);
    record.status = file ? 200 : 404;
    if (!file) return c.text('This file does not exist or has expired.', 404);
    return c.body(Buffer.from(file.bytes), 200, { 'content-type': file.mediaType, 'cache-control': 'private, max-age=3600' });
  });
  app.route('/openai', openaiSandbox(context));
  app.route('/stability', stabilitySandbox(context));
  app.route('/replicate', replicateSandbox(context));
  app.route('/fal', falSandbox(context));
  app.notFound((c) =>
    c.json(
      { error: `No sandbox route for ${c.req.method} ${c.req.path}. Vendors live under /openai/v1, /stability, /replicate/v1, /fal/queue and /fal/run.` },
      404,
    ),
  );
  app.onError((error, c) => {
    if (error.message.startsWith('Injected fault')) throw error;
    return c.json({ error: 'sandbox internal error', message: error.message }, 500);
  });
  return { app, context, activity, setBaseUrl: (url) => (baseUrl = options.publicUrl ?? url) };
}

function isVendor(value: string): value is Vendor {
  return (VENDORS as readonly string[]).includes(value);
}

export async function startSandbox(input: SandboxOptions = {}): Promise<Sandbox> {
  const options = SandboxOptionsSchema.parse(input);
  const { app, context, activity, setBaseUrl } = createSandboxApp(input);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  setBaseUrl(url);
  const root = options.publicUrl ?? url;
  return {
    url: root,
    urls: sandboxUrls(root),
    context,
    unref: () => {
      server.unref();
    },
    idleForMs: () => activity.idleForMs(),
    close: async () => {
      await context.webhooks.drain();
      await new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      });
    },
  };
}
