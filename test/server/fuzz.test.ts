/**
 * 5,000+ malformed or hostile requests against every route of the gateway: no 5xx, no crash, and
 * every error in OpenAI's envelope. Runs in-process (`app.request`), with a real sandbox behind
 * easel that does not fail on its own, so any 5xx (a 502/503/504 included) is the gateway's fault.
 * Seeded: the seed is printed, and a failure prints the shrunk request that caused it.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEasel, type Easel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { createGatewayApp } from '../../src/server/app.js';
import { KeyStore } from '../../src/server/auth/keys.js';
import { ImageFileStore } from '../../src/server/files/store.js';
import { GatewayMetrics } from '../../src/server/metrics/metrics.js';

const SEED = 20261124;
const RUNS = 5000;

let sandbox: Sandbox;
let easel: Easel;
/** Job store and job images, removed afterwards. */
const stateDir = mkdtempSync(join(tmpdir(), 'easel-fuzz-'));
let app: ReturnType<typeof createGatewayApp>;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0, limits: { openai: {}, stability: {}, replicate: {}, fal: {} } });
  // No pacing either: the vendors' real rates (100 requests a minute for OpenAI) would space the successes 600 ms apart.
  const unpaced = { requestsPerMinute: 1_000_000, concurrent: 1000 };
  easel = createEasel({
    env: { EASEL_SANDBOX_URL: sandbox.url },
    config: { pollIntervalMs: 1, stateDir, limits: { openai: unpaced, stability: unpaced, replicate: unpaced, fal: unpaced } },
  });
  app = createGatewayApp({
    easel,
    files: new ImageFileStore(),
    keys: new KeyStore(':memory:'),
    metrics: new GatewayMetrics(easel.health),
    publicUrl: () => 'http://gateway.test',
    maxBodyBytes: 256 * 1024,
    maxImagePixels: 4_000_000,
    jobsDir: join(stateDir, 'jobs'),
    // Configured, so the receivers verify (and refuse) instead of answering "not configured".
    webhooks: { replicateSecret: async () => 'whsec_c2FuZGJveC1mdXp6LXNlY3JldA==', falJwks: async () => ({ keys: [] }) },
  });
});
afterAll(async () => {
  await easel.close();
  await sandbox.close();
  rmSync(stateDir, { recursive: true, force: true });
});

/** The issue's cases (issue 13) and their neighbours: sizes with zero sides, NUL, overlong and broken text. */
const ISSUE_SIZES = [
  '0x0',
  '512x0',
  '0x512',
  '00000x00000',
  '-1x5',
  '99999x99999',
  '16385x16',
  '0512x512',
  ' 1024x1024',
  '1024x1024\n',
  '1024X1024',
  '1e3x1e3',
  'auto',
  '',
];
const ISSUE_PROMPTS = [
  'a\u0000b',
  '\u0000',
  'bell\u0007',
  'tab\tand\nnew line',
  'lone \ud800 surrogate',
  '\udc00',
  '🦊'.repeat(1001),
  '\u202eevil\u202c',
  'e\u0301\u0301\u0301',
  '\u200b\u200d\ufeff',
  '\uffff',
  'x'.repeat(1001),
  'x'.repeat(4001),
  'x'.repeat(10_001),
  'x'.repeat(32_001),
  'x'.repeat(100_001),
];
const ISSUE_COUNTS = [0, -1, 65, 11, 1.5, 1e9, -1e9, 2 ** 53, '1', '0', '-1', 'two', ''];

const FIELDS = [
  'model',
  'prompt',
  'n',
  'size',
  'quality',
  'style',
  'response_format',
  'output_format',
  'background',
  'user',
  'seed',
  'negative_prompt',
  'aspect_ratio',
];
const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom(...ISSUE_SIZES, ...ISSUE_PROMPTS),
  fc.constantFrom(
    '../../etc/passwd',
    '<script>alert(1)</script>',
    "'; DROP TABLE jobs;--",
    'auto',
    'dall-e-3',
    'openai/gpt-image-1',
    'b64_json',
    'url',
    'NaN',
    '1e309',
    '__proto__',
    'constructor',
  ),
  fc.string({ minLength: 5000, maxLength: 20000 }),
);
const fieldValue = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
);
const openaiLikeBody = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 12 })), fieldValue, { maxKeys: 8 });
/** A valid request with one or two hostile fields: reaches routing and the vendor, not only the parser. */
const nearlyValidBody = fc
  .record({
    model: fc.constantFrom(
      'auto',
      'gpt-image-1',
      'dall-e-2',
      'openai/gpt-image-2',
      'stability/core',
      'fal/flux/schnell',
      'replicate/black-forest-labs/flux-schnell',
    ),
    prompt: fc.oneof(
      { arbitrary: fc.constant('a red fox in the snow'), weight: 3 },
      fc.constantFrom(...ISSUE_PROMPTS),
      fc.string({ unit: 'binary', maxLength: 40 }),
    ),
    // Mostly small valid sizes: drawing and encoding 1024-px images is most of this test's time.
    size: fc.oneof({ arbitrary: fc.constantFrom('256x256', '256x256', '1024x1024'), weight: 3 }, fc.constantFrom(...ISSUE_SIZES)),
    n: fc.oneof({ arbitrary: fc.constant(1), weight: 3 }, fc.constantFrom(...ISSUE_COUNTS)),
    seed: fc.oneof(fc.constant(7), fc.constantFrom(-1, 4_294_967_295, 1.5, 'seven')),
    negative_prompt: fc.constantFrom('blurry', 'a\u0000b', '\ud800'),
  })
  .chain((full) => fc.subarray(Object.keys(full), { minLength: 2 }).map((keys) => Object.fromEntries(keys.map((k) => [k, full[k as keyof typeof full]]))));
/** easel's native field names. */
const nativeBody = fc.record(
  {
    model: fc.constantFrom('auto', 'openai/gpt-image-1', 'stability/core', 'fal/flux/dev', 'replicate/black-forest-labs/flux-schnell', 'nope/nope'),
    prompt: fc.oneof(fc.constant('a red fox'), fc.constantFrom(...ISSUE_PROMPTS)),
    negativePrompt: fc.constantFrom('blurry', 'a\u0000b', '\ud800', 'x'.repeat(10_001)),
    size: fc.constantFrom('1024x1024', ...ISSUE_SIZES),
    aspectRatio: fc.constantFrom('16:9', '0:0', '1:0', '999:1', 'x'),
    n: fc.constantFrom(1, 2, ...ISSUE_COUNTS),
    seed: fc.constantFrom(1, -1, 4_294_967_295, 0.5),
    timeoutMs: fc.constantFrom(60_000, 0, -1, 2 ** 31, 1e300),
    strength: fc.constantFrom(0.5, -1, 2),
    allowAdjustments: fc.boolean(),
  },
  { requiredKeys: ['prompt'] },
);

const requestArb = fc.oneof(
  // JSON-ish bodies to the image routes, with every content type and broken JSON.
  fc.record({
    kind: fc.constant('json' as const),
    path: fc.constantFrom('/v1/images/generations', '/v1/easel/generate', '/v1/images/edits', '/v1/images/variations'),
    contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', '', 'application/json; charset=utf-16'),
    body: fc.oneof(
      openaiLikeBody.map((b) => JSON.stringify(b)),
      nearlyValidBody.map((b) => JSON.stringify(b)),
      nativeBody.map((b) => JSON.stringify(b)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string(),
      fc.constant('{"prompt":'),
      fc.constant('\u0000\u0001\u0002'),
      // Over the body limit.
      fc.constant(JSON.stringify({ prompt: 'x'.repeat(300 * 1024) })),
    ),
  }),
  // Multipart with missing, garbage or oversized parts.
  fc.record({
    kind: fc.constant('multipart' as const),
    path: fc.constantFrom('/v1/images/edits', '/v1/images/variations', '/v1/images/generations'),
    fields: fc.oneof(openaiLikeBody, nearlyValidBody),
    image: fc.oneof(fc.constant(undefined), fc.uint8Array({ maxLength: 256 }), fc.constant(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))),
    mask: fc.oneof(fc.constant(undefined), fc.uint8Array({ maxLength: 64 })),
  }),
  // Jobs: hostile job bodies and items (items that parse run for real, on the sandbox), any concurrency.
  fc.record({
    kind: fc.constant('jobs' as const),
    body: fc.oneof(
      fc.record(
        {
          items: fc.array(fc.oneof(nativeBody, openaiLikeBody, fieldValue), { maxLength: 3 }),
          model: fc.oneof(fc.constant(undefined), hostileString),
          budgetUsd: fc.oneof(fc.constant(undefined), fc.double(), fc.string()),
          concurrency: fc.oneof(fc.constant(undefined), fc.integer({ min: -5, max: 100 })),
        },
        { requiredKeys: ['items'] },
      ),
      fc.jsonValue(),
    ),
  }),
  // Reads: jobs, job files, files, models, with hostile ids and names.
  fc.record({
    kind: fc.constant('read' as const),
    path: fc.oneof(
      fc.constantFrom('/v1/models', '/v1/jobs', '/v1/jobs/', '/v1/files/', '/healthz', '/readyz', '/metrics'),
      fc.tuple(fc.constantFrom('/v1/jobs/', '/v1/files/'), fc.string({ unit: 'binary', maxLength: 40 })).map(([p, id]) => p + encodeURIComponent(id)),
      fc
        .tuple(fc.string({ maxLength: 20 }), fc.constantFrom('../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', '%00', 'a.png', ''))
        .map(([id, name]) => `/v1/jobs/${encodeURIComponent(id)}/files/${name}`),
    ),
  }),
  // Webhooks: forged, malformed and oversized deliveries.
  fc.record({
    kind: fc.constant('webhook' as const),
    vendor: fc.constantFrom('replicate', 'fal'),
    headers: fc.dictionary(
      fc.constantFrom(
        'webhook-id',
        'webhook-timestamp',
        'webhook-signature',
        'x-fal-webhook-request-id',
        'x-fal-webhook-user-id',
        'x-fal-webhook-timestamp',
        'x-fal-webhook-signature',
      ),
      fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.constantFrom('v1,AAAA', '0', '-1', '99999999999999999999', String(Math.floor(Date.now() / 1000)), 'deadbeef'.repeat(16)),
      ),
      { maxKeys: 7 },
    ),
    body: fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string(),
      fc.constant('x'.repeat(300 * 1024)),
    ),
  }),
  // Odd methods and paths.
  fc.record({
    kind: fc.constant('raw' as const),
    method: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST', 'HEAD'),
    path: fc.oneof(
      fc.constantFrom(
        '/v1/images/generations',
        '/v1/models',
        '/v1/files/nope',
        '/v1/../etc/passwd',
        '/%00',
        '/v1/images/generations?x=1',
        '/v1/easel/generate',
        '/v1/jobs',
        '/v1/webhooks/replicate',
        '/v1/webhooks/other',
      ),
      fc.webPath(),
    ),
  }),
);

/** What `send` takes: the arbitrary's values, and the explicit cases written out below. */
type Input =
  | { kind: 'json'; path: string; contentType: string; body: string }
  | { kind: 'multipart'; path: string; fields: Record<string, unknown>; image: Uint8Array<ArrayBuffer> | undefined; mask: Uint8Array<ArrayBuffer> | undefined }
  | { kind: 'jobs'; body: unknown }
  | { kind: 'read'; path: string }
  | { kind: 'webhook'; vendor: string; headers: Record<string, string>; body: string }
  | { kind: 'raw'; method: string; path: string };

/** The issue's cases, each sent to every route that takes it, before the random runs. */
const json = (path: string, body: unknown): Input => ({ kind: 'json', path, contentType: 'application/json', body: JSON.stringify(body) });
/** Prompts a model may refuse: what is wrong in them, and each vendor's length limit plus one. */
const REFUSABLE_PROMPTS = ISSUE_PROMPTS.filter((p) => /[\u0000-\u0008\ud800-\udfff]/.test(p.replace(/\ud83e\udd8a/g, '')) || p.length > 1000);
/** The smallest size each model makes, so accepted cases draw small images and the test stays fast. */
const MODELS: Record<string, string | undefined> = {
  'dall-e-2': '256x256',
  'gpt-image-1': undefined,
  'openai/gpt-image-2': '256x256',
  'stability/core': undefined,
  'fal/flux/dev': '256x256',
  'replicate/black-forest-labs/flux-schnell': undefined,
  'replicate/stability-ai/sdxl': '128x128',
};
const explicitCases: Input[] = [
  ...['/v1/images/generations', '/v1/easel/generate'].flatMap((path) => [
    ...ISSUE_SIZES.map((size) => json(path, { prompt: 'a fox', size })),
    ...ISSUE_PROMPTS.map((prompt) => json(path, { prompt, size: '256x256' })),
    ...ISSUE_COUNTS.map((n) => json(path, { prompt: 'a fox', n, size: '256x256' })),
  ]),
  // Each size and prompt against one model of each dimensioning kind and vendor, where the TypeError was.
  ...Object.entries(MODELS).flatMap(([model, size]) => [
    ...ISSUE_SIZES.map((size) => json('/v1/images/generations', { model, prompt: 'a fox', size })),
    ...REFUSABLE_PROMPTS.map((prompt) => json('/v1/images/generations', { model, prompt, ...(size ? { size } : {}) })),
  ]),
  ...ISSUE_SIZES.map((size) => ({
    kind: 'multipart' as const,
    path: '/v1/images/edits',
    fields: { prompt: 'a fox', size },
    image: new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
    mask: undefined,
  })),
  ...ISSUE_PROMPTS.map((prompt) => ({
    kind: 'multipart' as const,
    path: '/v1/images/edits',
    fields: { prompt },
    image: new Uint8Array([1, 2, 3]),
    mask: undefined,
  })),
  { kind: 'jobs', body: { items: [{ prompt: 'a fox', size: '0x0' }, { prompt: 'a\u0000b' }, { prompt: 'ok', n: -1 }] } },
  { kind: 'jobs', body: { items: [{ prompt: 'x'.repeat(40_000), model: 'openai/gpt-image-1' }] } },
  // Huge bodies on every route that reads one.
  ...['/v1/images/generations', '/v1/easel/generate', '/v1/jobs', '/v1/images/edits'].map((path) => ({
    kind: 'json' as const,
    path,
    contentType: 'application/json',
    body: JSON.stringify({ prompt: 'x'.repeat(2 * 1024 * 1024) }),
  })),
  { kind: 'webhook', vendor: 'replicate', headers: {}, body: 'x'.repeat(2 * 1024 * 1024) },
  { kind: 'webhook', vendor: 'fal', headers: {}, body: 'x'.repeat(2 * 1024 * 1024) },
];

async function send(input: Input): Promise<Response> {
  switch (input.kind) {
    case 'json': {
      const headers: Record<string, string> = input.contentType ? { 'content-type': input.contentType } : {};
      return app.request(input.path, { method: 'POST', headers, body: input.body });
    }
    case 'multipart': {
      const form = new FormData();
      for (const [k, v] of Object.entries(input.fields as Record<string, unknown>)) form.append(k, typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null'));
      if (input.image) form.append('image', new Blob([input.image]), 'image.png');
      if (input.mask) form.append('mask', new Blob([input.mask]), 'mask.png');
      return app.request(input.path, { method: 'POST', body: form });
    }
    case 'jobs':
      return app.request('/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input.body) });
    case 'read':
      return app.request(input.path);
    case 'webhook':
      return app.request(`/v1/webhooks/${input.vendor}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...input.headers },
        body: input.body,
      });
    case 'raw':
      return app.request(input.path.startsWith('/') ? input.path : `/${input.path}`, { method: input.method });
  }
}

const stats = { requests: 0, errors: 0, byStatus: new Map<number, number>(), jobs: [] as { id: string; body: unknown }[] };

/** One request: below 500, and an error is OpenAI's envelope with no stack or TypeError text in it. */
async function check(input: Input): Promise<void> {
  stats.requests++;
  const response = await send(input);
  stats.byStatus.set(response.status, (stats.byStatus.get(response.status) ?? 0) + 1);
  const text = await response.text();
  const what = `${JSON.stringify(input).slice(0, 300)} → ${response.status} ${text.slice(0, 300)}`;
  expect(response.status, what).toBeLessThan(500);
  if (response.status === 202 && input.kind === 'jobs') stats.jobs.push({ id: (JSON.parse(text) as { id: string }).id, body: input.body });
  if (response.status < 400) return;
  stats.errors++;
  const body = (input.kind === 'raw' && input.method === 'HEAD' ? { error: { message: '', type: '', param: null, code: null } } : JSON.parse(text)) as {
    error?: { message?: unknown; type?: unknown; param?: unknown; code?: unknown };
  };
  expect(typeof body.error?.message, what).toBe('string');
  expect(typeof body.error?.type, what).toBe('string');
  expect(body.error, what).toHaveProperty('param');
  expect(body.error, what).toHaveProperty('code');
  expect(String(body.error?.message), what).not.toMatch(/at .*\.ts:\d+|TypeError|undefined is not|Cannot read properties/);
}

describe('gateway fuzz', () => {
  it(
    `answers the issue's cases and ${RUNS} seeded hostile requests on every route without a 5xx, each error in OpenAI’s envelope`,
    { timeout: 240_000 },
    async () => {
      console.log(`gateway fuzz: fast-check seed ${SEED}, ${explicitCases.length} explicit cases + ${RUNS} runs`);
      for (const input of explicitCases) await check(input);
      await fc.assert(
        fc.asyncProperty(requestArb, (input) => check(input)),
        { numRuns: RUNS, seed: SEED },
      );
      // Jobs run in the background: each ends, and a failed item says what was wrong in words, not a TypeError.
      for (const { id, body } of stats.jobs) {
        let job: { status: string; results: { error?: { message?: string } | string }[] } | undefined;
        for (let poll = 0; poll < 2000 && job?.status !== 'succeeded' && job?.status !== 'failed' && job?.status !== 'done'; poll++) {
          const response = await app.request(`/v1/jobs/${id}`);
          expect(response.status).toBe(200);
          job = (await response.json()) as typeof job;
          if (job!.status === 'running') await new Promise((r) => setTimeout(r, 5));
        }
        expect(job!.status, `${JSON.stringify(body).slice(0, 500)} → ${JSON.stringify(job).slice(0, 300)}`).not.toBe('running');
        for (const result of job!.results) expect(JSON.stringify(result.error ?? ''), id).not.toMatch(/TypeError|Cannot read properties|undefined is not/);
      }
      console.log(
        `gateway fuzz: ${stats.requests} requests, ${stats.errors} errors, ${stats.jobs.length} jobs started; statuses ${[...stats.byStatus]
          .sort((a, b) => a[0] - b[0])
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')}`,
      );
      expect(stats.requests).toBeGreaterThanOrEqual(5000);
      // Most requests are hostile and refused; some valid ones get through to the sandbox and back.
      expect(stats.errors).toBeGreaterThan(3000);
      expect(stats.byStatus.get(200) ?? 0).toBeGreaterThan(50);
    },
  );

  // Found by this fuzz: the engine starts min(concurrency, items) workers, so a job with concurrency 0
  // or below ran no item and held its key's budget forever.
  it('refuses a job whose concurrency is not a positive integer', async () => {
    for (const concurrency of [0, -1, -1e300]) {
      const response = await app.request('/v1/jobs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ prompt: 'a fox' }], concurrency }),
      });
      expect(response.status, `concurrency ${concurrency}`).toBe(400);
      expect(((await response.json()) as { error: { param: string } }).error.param).toBe('concurrency');
    }
  });
});
