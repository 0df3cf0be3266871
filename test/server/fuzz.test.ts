/**
 * 5,000+ malformed or hostile requests against the gateway: no 5xx, no crash, and every error in
 * OpenAI's envelope. Runs in-process (`app.request`), with a real sandbox behind easel.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEasel, type Easel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { createGatewayApp } from '../../src/server/app.js';
import { KeyStore } from '../../src/server/auth/keys.js';
import { ImageFileStore } from '../../src/server/files/store.js';
import { GatewayMetrics } from '../../src/server/metrics/metrics.js';

let sandbox: Sandbox;
let easel: Easel;
let app: ReturnType<typeof createGatewayApp>;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0, limits: { openai: { requestsPerMinute: 1_000_000 } } });
  easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 1 } });
  app = createGatewayApp({
    easel,
    files: new ImageFileStore(),
    keys: new KeyStore(':memory:'),
    metrics: new GatewayMetrics(easel.health),
    publicUrl: () => 'http://gateway.test',
    maxBodyBytes: 256 * 1024,
    maxImagePixels: 4_000_000,
  });
});
afterAll(async () => {
  await easel.close();
  await sandbox.close();
});

const FIELDS = ['model', 'prompt', 'n', 'size', 'quality', 'style', 'response_format', 'output_format', 'background', 'user', 'seed', 'negative_prompt', 'aspect_ratio'];
const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom('', ' ', '\u0000', '../../etc/passwd', '<script>alert(1)</script>', "'; DROP TABLE jobs;--", 'auto', 'dall-e-3', 'openai/gpt-image-1', '1024x1024', '0x0', '99999x99999', '-1x5', 'b64_json', 'url', 'NaN', '1e309', '__proto__', 'constructor'),
  fc.string({ minLength: 5000, maxLength: 20000 }),
);
const fieldValue = fc.oneof(hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 2 }));
const openaiLikeBody = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 12 })), fieldValue, { maxKeys: 8 });

const requestArb = fc.oneof(
  // JSON-ish bodies to generations, with every content type and broken JSON.
  fc.record({
    kind: fc.constant('json' as const),
    path: fc.constantFrom('/v1/images/generations', '/v1/easel/generate', '/v1/images/edits', '/v1/images/variations'),
    contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', '', 'application/json; charset=utf-16'),
    body: fc.oneof(
      openaiLikeBody.map((b) => JSON.stringify(b)),
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
    fields: openaiLikeBody,
    image: fc.oneof(fc.constant(undefined), fc.uint8Array({ maxLength: 256 }), fc.constant(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))),
    mask: fc.oneof(fc.constant(undefined), fc.uint8Array({ maxLength: 64 })),
  }),
  // Odd methods and paths.
  fc.record({
    kind: fc.constant('raw' as const),
    method: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST'),
    path: fc.oneof(fc.constantFrom('/v1/images/generations', '/v1/models', '/v1/files/nope', '/v1/../etc/passwd', '/%00', '/v1/images/generations?x=1', '/v1/easel/generate'), fc.webPath()),
  }),
);

type Input = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

async function send(input: Input): Promise<Response> {
  if (input.kind === 'json') {
    const headers: Record<string, string> = input.contentType ? { 'content-type': input.contentType } : {};
    return app.request(input.path, { method: 'POST', headers, body: input.body });
  }
  if (input.kind === 'multipart') {
    const form = new FormData();
    for (const [k, v] of Object.entries(input.fields as Record<string, unknown>)) form.append(k, typeof v === 'string' ? v : JSON.stringify(v) ?? 'null');
    if (input.image) form.append('image', new Blob([input.image]), 'image.png');
    if (input.mask) form.append('mask', new Blob([input.mask]), 'mask.png');
    return app.request(input.path, { method: 'POST', body: form });
  }
  return app.request(input.path.startsWith('/') ? input.path : `/${input.path}`, { method: input.method });
}

describe('gateway fuzz', () => {
  it('answers 5,000 hostile requests without a 5xx, each error in OpenAI’s envelope', { timeout: 240_000 }, async () => {
    let count = 0;
    let errors = 0;
    await fc.assert(
      fc.asyncProperty(requestArb, async (input) => {
        count++;
        const response = await send(input);
        expect(response.status, JSON.stringify(input).slice(0, 300)).toBeLessThan(500);
        if (response.status >= 400) {
          errors++;
          const body = (await response.json()) as { error?: { message?: unknown; type?: unknown; param?: unknown; code?: unknown } };
          expect(typeof body.error?.message).toBe('string');
          expect(typeof body.error?.type).toBe('string');
          expect(body.error).toHaveProperty('param');
          expect(body.error).toHaveProperty('code');
          expect(String(body.error?.message)).not.toMatch(/at .*\.ts:\d+|TypeError|undefined is not/);
        } else await response.arrayBuffer();
      }),
      { numRuns: 5000, seed: 20261124 },
    );
    expect(count).toBeGreaterThanOrEqual(5000);
    expect(errors).toBeGreaterThan(4000);
  });
});
