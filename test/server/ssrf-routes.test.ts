/**
 * One input policy on every gateway route that takes images: OpenAI-compatible generations, edits
 * and variations, native generate, and jobs (at POST, when items run, and when a restarted gateway
 * resumes a job). A connection recorder sees every socket this process opens (net.Socket#connect),
 * a file-read spy sees every read through node:fs, and a TCP server on loopback stands where the
 * hostile URLs point. The one host allowed is a loopback image server, allowed the way a deployment
 * would allow a host: the gateway's `isAllowedImageAddress`.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadImage } from '../../src/core/image-input.js';
import type { ImageRequest } from '../../src/core/request.js';
import { createEasel, type Easel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { createGatewayApp } from '../../src/server/app.js';
import { KeyStore } from '../../src/server/auth/keys.js';
import { ImageFileStore } from '../../src/server/files/store.js';
import { GatewayMetrics } from '../../src/server/metrics/metrics.js';
import { startGateway } from '../../src/server/serve.js';

// --- The connection recorder: every client socket's destination, as asked (before DNS or connect).
const connections: string[] = [];
const originalConnect = net.Socket.prototype.connect;
function destination(args: unknown[]): string {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const { host, port, path } = first as { host?: string; port?: number | string; path?: string };
    return path ?? `${host ?? 'localhost'}:${port}`;
  }
  return `${typeof args[1] === 'string' ? args[1] : 'localhost'}:${String(first)}`;
}

// --- The file-read spy: paths read or opened through node:fs and node:fs/promises.
const reads: string[] = [];
const spied: [object, string, unknown][] = [];
function spy<T extends object>(target: T, name: keyof T & string) {
  const original = target[name] as (...args: unknown[]) => unknown;
  spied.push([target, name, original]);
  (target as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    if (typeof args[0] === 'string' || args[0] instanceof URL) reads.push(resolve(String(args[0] instanceof URL ? args[0].pathname : args[0])));
    return original.apply(this, args);
  };
}

const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#12ab34' } })
  .png()
  .toBuffer();
const dir = mkdtempSync(join(tmpdir(), 'easel-ssrf-routes-'));
/** A real PNG on the gateway's disk: if a path were honoured it would come back as the output. */
const existingPng = join(dir, 'secret.png');
writeFileSync(
  existingPng,
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff00ff' } })
    .png()
    .toBuffer(),
);
const missingPng = join(dir, 'missing.png');

let recorder: net.Server;
const recorded: string[] = [];
let imageServer: Server;
let sandbox: Sandbox;
let easel: Easel;
let R = 0; // the recorder's port: where hostile loopback URLs point
let IMG = 0; // the allowed image server's port
const allowedImageAddress = (address: string, port: number) => address === '127.0.0.1' && port === IMG;

beforeAll(async () => {
  recorder = net.createServer((socket) => (recorded.push(`${socket.remoteAddress}`), socket.destroy()));
  await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
  R = (recorder.address() as AddressInfo).port;
  imageServer = createHttpServer((req, res) => {
    const redirect = (location: string) => res.writeHead(302, { location }).end();
    if (req.url === '/image.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    if (req.url === '/to-loopback') return redirect(`http://127.0.0.1:${R}/x.png`);
    if (req.url === '/to-localhost') return redirect(`http://localhost:${R}/x.png`);
    if (req.url === '/to-metadata') return redirect('http://169.254.169.254/latest/meta-data/');
    if (req.url === '/to-private') return redirect('http://10.0.0.1/x.png');
    if (req.url === '/to-file') return redirect('file:///etc/passwd');
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => imageServer.listen(0, '127.0.0.1', r));
  IMG = (imageServer.address() as AddressInfo).port;
  sandbox = await startSandbox({ timeScale: 0 });
  easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 1, stateDir: join(dir, 'state') }, onNotice: () => {} });
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    connections.push(destination(args));
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
  for (const name of ['readFile', 'open', 'stat', 'access'] as const) spy(fsp, name);
  for (const name of ['readFile', 'readFileSync', 'open', 'openSync', 'createReadStream', 'existsSync', 'statSync'] as const) spy(fs, name);
  syncBuiltinESMExports();
});
afterAll(async () => {
  net.Socket.prototype.connect = originalConnect;
  for (const [target, name, original] of spied) (target as Record<string, unknown>)[name] = original;
  syncBuiltinESMExports();
  await easel.close();
  await sandbox.close();
  imageServer.close();
  recorder.close();
});
beforeEach(() => {
  connections.length = 0;
  reads.length = 0;
});

/** Hostile locations refused from the text (or the address it names) before any connection. */
const refusedUpFront = () => [
  `http://127.0.0.1:${R}/x.png`,
  `http://[::1]:${R}/x.png`,
  `http://localhost:${R}/x.png`,
  `http://127.1:${R}/x.png`,
  `http://2130706433:${R}/x.png`,
  `http://0x7f.1:${R}/x.png`,
  `http://[::ffff:127.0.0.1]:${R}/x.png`,
  `http://0.0.0.0:${R}/x.png`,
  'http://169.254.169.254/latest/meta-data/',
  'http://10.0.0.1/x.png',
  'http://192.168.1.1/x.png',
  `http://user:pw@127.0.0.1:${IMG}/image.png`,
  'file:///etc/passwd',
  '/etc/passwd',
  './relative.png',
  existingPng,
  missingPng,
  'C:\\x',
  `gopher://127.0.0.1:${R}/_x`,
  `ftp://127.0.0.1:${R}/x.png`,
  'data:text/plain;base64,aGVsbG8=',
];
/** Hostile only after a hop from the allowed host: refused when fetched. */
const viaRedirect = () => ['/to-loopback', '/to-localhost', '/to-metadata', '/to-private', '/to-file'].map((p) => `http://127.0.0.1:${IMG}${p}`);
const hostilePaths = ['/etc/passwd', resolve('./relative.png'), existingPng, missingPng, resolve('C:\\x')];

/** Nothing but the allowed image server, the sandbox and the gateway itself was connected to; no hostile path was read. */
function expectNothingReached(extra: string[] = []) {
  const allowed = new Set([`127.0.0.1:${IMG}`, new URL(sandbox.url).host, ...extra]);
  expect(connections.filter((c) => !allowed.has(c))).toEqual([]);
  expect(recorded).toEqual([]);
  expect(reads.filter((p) => hostilePaths.includes(p))).toEqual([]);
}

function gatewayApp(e: Easel = easel) {
  return createGatewayApp({
    easel: e,
    files: new ImageFileStore(),
    keys: new KeyStore(':memory:'),
    metrics: new GatewayMetrics(e.health),
    publicUrl: () => 'http://gw',
    maxBodyBytes: 8 << 20,
    maxImagePixels: 1 << 24,
    jobsDir: join(dir, 'jobs'),
    isAllowedImageAddress: allowedImageAddress,
  });
}
type App = ReturnType<typeof gatewayApp>;

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
function form(fields: Record<string, string | Uint8Array>): RequestInit {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') data.append(name, value);
    else data.append(name, new Blob([new Uint8Array(value)], { type: 'image/png' }), `${name}.png`);
  }
  return { method: 'POST', body: data };
}
const upscale = (fields: { image: string }): ImageRequest => ({ task: 'upscale', model: 'local/lanczos', scale: 2, ...fields });

/** Every route and image field, as a request carrying `location` in that field. */
const routes: Record<string, (location: string) => [string, RequestInit]> = {
  'generations image': (l) => ['/v1/images/generations', json({ prompt: 'a fox', image: l })],
  'generations mask': (l) => ['/v1/images/generations', json({ prompt: 'a fox', mask: l })],
  'edits image': (l) => ['/v1/images/edits', form({ prompt: 'a fox', model: 'openai/gpt-image-1', image: l })],
  'edits image[]': (l) => ['/v1/images/edits', form({ prompt: 'a fox', model: 'openai/gpt-image-1', 'image[]': l })],
  'edits mask': (l) => ['/v1/images/edits', form({ prompt: 'a fox', model: 'openai/dall-e-2', image: png, mask: l })],
  'variations image': (l) => ['/v1/images/variations', form({ model: 'openai/dall-e-2', image: l })],
  'native image': (l) => ['/v1/easel/generate', json(upscale({ image: l }))],
  'native mask': (l) => [
    '/v1/easel/generate',
    json({ task: 'edit', prompt: 'a fox', model: 'openai/dall-e-2', image: `data:image/png;base64,${png.toString('base64')}`, mask: l }),
  ],
  'jobs image': (l) => ['/v1/jobs', json({ items: [upscale({ image: `http://127.0.0.1:${IMG}/image.png` }), upscale({ image: l })] })],
  'jobs mask': (l) => [
    '/v1/jobs',
    json({ items: [{ task: 'edit', prompt: 'a fox', model: 'openai/dall-e-2', image: `http://127.0.0.1:${IMG}/image.png`, mask: l }] }),
  ],
};
const jobsField: Record<string, string> = { 'jobs image': 'items[1].image', 'jobs mask': 'items[0].mask' };

async function send(app: App, route: string, location: string): Promise<{ status: number; text: string }> {
  const [path, init] = routes[route]!(location);
  const response = await app.request(path, init);
  return { status: response.status, text: await response.text() };
}

describe('the instruments', () => {
  it('see a plain fetch and a file read (what a leak would look like)', async () => {
    // The library's default reader, as a local user gets it: reads paths, fetches URLs with fetch.
    await loadImage(existingPng, { field: 'image' });
    await loadImage(`http://127.0.0.1:${R}/x.png`, { field: 'image' }).catch(() => undefined);
    expect(reads).toContain(existingPng);
    expect(connections).toContain(`127.0.0.1:${R}`);
    await vi.waitFor(() => expect(recorded).toHaveLength(1), { interval: 5 });
    recorded.length = 0;
  });
});

describe('every route that takes images refuses hostile locations', () => {
  it.each(Object.keys(routes))('%s: 400 for each, nothing connected to or read, the same answer for an existing and a missing path', async (route) => {
    const app = gatewayApp();
    for (const location of refusedUpFront()) {
      const { status, text } = await send(app, route, location);
      expect({ location, status }).toEqual({ location, status: 400 });
      const { error } = JSON.parse(text) as { error: { message: string; type: string; param: string | null } };
      expect(error.type).toBe('invalid_request_error');
      // The refusal never echoes a path, and never says more about a host than that it is not public.
      expect(error.message).not.toContain(dir);
      if (route.startsWith('generations')) expect(error.message).toMatch(/Unrecognized request argument supplied: (image|mask)/);
      else if (route.startsWith('jobs')) expect(error.param).toBe(jobsField[route]);
    }
    const existing = await send(app, route, existingPng);
    const missing = await send(app, route, missingPng);
    expect(existing).toEqual(missing);
    if (!route.startsWith('generations'))
      expect(JSON.parse(existing.text).error.message).toMatch(
        /must be a base64 data URL .*, or an http\(s\) URL; file paths and other URL schemes are not accepted/,
      );
    expectNothingReached();
  });

  it.each(Object.keys(routes).filter((r) => !r.startsWith('generations') && !r.startsWith('jobs')))(
    '%s: a redirect to an internal address is refused when fetched (400)',
    async (route) => {
      const app = gatewayApp();
      for (const location of viaRedirect()) {
        const { status, text } = await send(app, route, location);
        expect({ location, status }).toEqual({ location, status: 400 });
        expect(JSON.parse(text).error.message).toMatch(/redirect to .*(not allowed|non-public address|must be http or https)/);
      }
      expectNothingReached();
    },
  );

  it('native and OpenAI routes fetch an image from the allowed host (the control: the recorder would see a leak)', async () => {
    const app = gatewayApp();
    const native = await app.request('/v1/easel/generate', json(upscale({ image: `http://127.0.0.1:${IMG}/image.png` })));
    expect(native.status).toBe(200);
    const { images } = (await native.json()) as { images: { b64_json: string }[] };
    const out = await sharp(Buffer.from(images[0]!.b64_json, 'base64')).raw().toBuffer({ resolveWithObject: true });
    // The fetched image itself, upscaled: 16x16 of its colour.
    expect([out.info.width, out.info.height, out.data[0], out.data[1], out.data[2]]).toEqual([16, 16, 0x12, 0xab, 0x34]);
    // Base64 as it is: bare, and as a data URL.
    expect((await app.request('/v1/easel/generate', json(upscale({ image: png.toString('base64') })))).status).toBe(200);
    const edit = await app.request('/v1/images/edits', form({ prompt: 'a fox', model: 'openai/gpt-image-1', image: `http://127.0.0.1:${IMG}/image.png` }));
    expect(edit.status).toBe(200);
    const variation = await app.request('/v1/images/variations', form({ model: 'openai/dall-e-2', image: `data:image/png;base64,${png.toString('base64')}` }));
    expect(variation.status).toBe(200);
    expect(connections).toContain(`127.0.0.1:${IMG}`);
    expectNothingReached();
  });
});

describe('edits', () => {
  it('fetch nothing for a request they refuse: many image URLs in one body are not fetched', async () => {
    const data = new FormData();
    data.append('prompt', 'a fox');
    for (let i = 0; i < 50; i++) data.append('image', `http://127.0.0.1:${IMG}/image.png`);
    const answer = await gatewayApp().request('/v1/images/edits', { method: 'POST', body: data });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(/one image per request/);
    expect(connections).toEqual([]);
  });
});

describe('image parts a route does not use', () => {
  it('are refused, not ignored: a second mask on edits, a second image or a mask on variations', async () => {
    const app = gatewayApp();
    const part = () => new Blob([new Uint8Array(png)], { type: 'image/png' });
    const send = async (path: string, parts: [string, Blob | string][]) => {
      const data = new FormData();
      for (const [name, value] of parts) data.append(name, value as Blob);
      const answer = await app.request(path, { method: 'POST', body: data });
      return { status: answer.status, param: ((await answer.json()) as { error?: { param: string } }).error?.param };
    };
    expect(
      await send('/v1/images/edits', [
        ['prompt', 'a fox'],
        ['model', 'openai/dall-e-2'],
        ['image', part()],
        ['mask', part()],
        ['mask', part()],
      ]),
    ).toEqual({ status: 400, param: 'mask' });
    expect(
      await send('/v1/images/variations', [
        ['model', 'openai/dall-e-2'],
        ['image', part()],
        ['image', part()],
      ]),
    ).toEqual({ status: 400, param: 'image' });
    expect(
      await send('/v1/images/variations', [
        ['model', 'openai/dall-e-2'],
        ['image', part()],
        ['mask', part()],
      ]),
    ).toEqual({ status: 400, param: 'mask' });
    expect(connections).toEqual([]);
  });
});

describe('jobs', () => {
  async function finished(app: App, id: string) {
    let job: { status: string; results: { index: number; status: string; images: { url: string }[]; error?: { message: string } }[] } | undefined;
    await vi.waitFor(
      async () => {
        job = (await (await app.request(`/v1/jobs/${id}`)).json()) as typeof job;
        expect(job!.status).toBe('done');
      },
      { timeout: 20_000, interval: 20 },
    );
    return job!.results.sort((a, b) => a.index - b.index);
  }

  it('fetch allowed URLs through the safe fetch when items run, and refuse redirects to internal addresses there', async () => {
    const app = gatewayApp();
    const items = [upscale({ image: `http://127.0.0.1:${IMG}/image.png` }), ...viaRedirect().map((image) => upscale({ image }))];
    const created = await app.request('/v1/jobs', json({ items }));
    expect(created.status).toBe(202);
    const results = await finished(app, ((await created.json()) as { id: string }).id);
    expect(results.map((r) => r.status)).toEqual(['succeeded', ...viaRedirect().map(() => 'failed')]);
    const output = await app.request(new URL(results[0]!.images[0]!.url).pathname);
    const pixel = await sharp(Buffer.from(await output.arrayBuffer()))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([pixel.info.width, pixel.data[0], pixel.data[1], pixel.data[2]]).toEqual([16, 0x12, 0xab, 0x34]);
    for (const result of results.slice(1))
      expect(result.error!.message).toMatch(/^image: image URL redirect to .*(not allowed|non-public address|must be http or https)/);
    expectNothingReached();
  });

  it('a restarted gateway resumes a stored job under the same policy: no fetch, no read, the same error for an existing and a missing path', async () => {
    const state = join(dir, 'restart');
    mkdirSync(state, { recursive: true });
    const own = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 1, stateDir: state }, onNotice: () => {} });
    // A job stored by a gateway that took any text (as before this policy): the items were never checked.
    const stored = [...refusedUpFront(), ...viaRedirect()];
    await own.jobStore().createJob(
      { id: 'job-from-before', outDir: join(state, 'out'), source: 'gateway:open', options: {} },
      stored.map((image, i) => ({ line: i + 1, request: upscale({ image }) })),
    );
    const gateway = await startGateway({ easel: own, stateDir: state, isAllowedImageAddress: allowedImageAddress, onNotice: () => {} });
    try {
      const poll = async () =>
        (await (await fetch(`${gateway.url}/v1/jobs/job-from-before`)).json()) as {
          status: string;
          results: { index: number; status: string; error?: { message: string } }[];
        };
      let job = await poll();
      await vi.waitFor(
        async () => {
          job = await poll();
          expect(job.status).toBe('done');
        },
        { timeout: 20_000, interval: 20 },
      );
      const results = job.results.sort((a, b) => a.index - b.index);
      expect(results.map((r) => r.status)).toEqual(stored.map(() => 'failed'));
      const byLocation = new Map(stored.map((location, i) => [location, results[i]!.error!.message]));
      expect(byLocation.get(existingPng)).toBe(byLocation.get(missingPng));
      expect(byLocation.get(existingPng)).toMatch(/^image must be a base64 data URL/);
      expectNothingReached([new URL(gateway.url).host]);
    } finally {
      await gateway.close();
      await own.close();
    }
  });
});

describe('providerOptions from clients (raw vendor input the runner fetches, and webhooks the vendor calls)', () => {
  const withOptions = (providerOptions: unknown): ImageRequest =>
    ({ prompt: 'a fox', model: 'replicate/black-forest-labs/flux-schnell', providerOptions }) as ImageRequest;
  const optionRoutes: Record<string, (location: string) => [string, RequestInit]> = {
    'native replicate.input': (l) => ['/v1/easel/generate', json(withOptions({ replicate: { input: { image: l } } }))],
    'native fal.input (nested)': (l) => [
      '/v1/easel/generate',
      json({ prompt: 'a fox', model: 'fal/flux/dev', providerOptions: { fal: { input: { loras: [{ path: l }] } } } }),
    ],
    'jobs replicate.input': (l) => ['/v1/jobs', json({ items: [withOptions({ replicate: { input: { image: l } } })] })],
  };
  const urlLike = () => refusedUpFront().filter((l) => /^(?:[a-z][a-z0-9+.-]*:\/\/|file:)/i.test(l));

  it.each(Object.keys(optionRoutes))('%s: every hostile URL refused with 400 before anything is connected to or bought', async (route) => {
    const app = gatewayApp();
    const charged = async () => ((await (await fetch(`${sandbox.url}/_sandbox/ledger`)).json()) as { charges: unknown[] }).charges.length;
    const charges = await charged();
    for (const location of urlLike()) {
      const [path, init] = optionRoutes[route]!(location);
      const response = await app.request(path, init);
      expect({ location, status: response.status }).toEqual({ location, status: 400 });
      const { error } = (await response.json()) as { error: { message: string; param: string | null } };
      expect(error.param).toMatch(/providerOptions\.(replicate|fal)\.input\./);
    }
    expectNothingReached();
    expect(await charged()).toBe(charges);
  });

  it('webhook URLs are the gateway’s to set: replicate.webhook and fal.webhookUrl are refused (native and jobs)', async () => {
    const app = gatewayApp();
    for (const [path, body] of [
      ['/v1/easel/generate', withOptions({ replicate: { webhook: `http://127.0.0.1:${R}/hook` } })],
      ['/v1/easel/generate', { prompt: 'a fox', model: 'fal/flux/dev', providerOptions: { fal: { webhookUrl: 'http://169.254.169.254/' } } }],
      ['/v1/jobs', { items: [withOptions({ replicate: { webhook_events_filter: ['completed'] } })] }],
    ] as const) {
      const response = await app.request(path, json(body));
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/webhooks are set by the gateway/);
    }
    expectNothingReached();
  });

  it('an allowed URL and plain text with a colon pass (the control)', async () => {
    const app = gatewayApp();
    const response = await app.request(
      '/v1/easel/generate',
      json(withOptions({ replicate: { input: { image: `http://127.0.0.1:${IMG}/image.png`, note: 'style: watercolor' } } })),
    );
    expect(response.status).toBe(200);
    expectNothingReached();
  });
});
