/**
 * Soak benchmark: does the gateway's memory settle under a long run of mixed valid and hostile
 * requests? A real gateway (`easel serve`, compiled CLI, its own process) in front of a real sandbox
 * (`easel sandbox`, another process); this process only sends requests and reads the servers' RSS
 * from /proc and the gateway's heap from its /metrics. After each 10,000 requests it prints both;
 * PASS when the last three RSS readings are within 10% of each other and all stay under the bound.
 * Each reading is taken once the requests of its 10,000 have been answered and the jobs they started
 * have finished: it shows what the gateway keeps, not the images a job holds while it runs.
 *
 * The mix: OpenAI-compatible generations (b64_json and url, some urls fetched back), edits
 * (multipart), native generations, jobs (start and read), and hostile requests: bad JSON, bodies
 * over the limit (declared and chunked), unknown routes with random paths, bad sizes, edits with no
 * file, random file ids, random job ids, unknown Replicate models with random names.
 *
 * Run: npx tsx bench/soak.ts   (SOAK_REQUESTS=50000 SOAK_CONCURRENCY=24 SOAK_BOUND_MB=450 by default)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { Agent, request } from 'undici';
import { seededRandom } from '../src/sandbox/random.js';
import { type ChildServer, rss, startChild } from './processes.js';
import { runConcurrently } from './stats.js';

const TOTAL = Number(process.env.SOAK_REQUESTS ?? 50_000);
const CHECKPOINT = Number(process.env.SOAK_CHECKPOINT ?? 10_000);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 24);
/** The gateway's RSS must stay under this (MB): its baseline plus the url-answer budget and headroom. */
const BOUND_MB = Number(process.env.SOAK_BOUND_MB ?? 450);
/** The gateway's byte budget for url answers in this run (MB): small, so the run reaches it and evicts. */
const URL_BUDGET_MB = Number(process.env.SOAK_URL_BUDGET_MB ?? 32);

const client = new Agent({ keepAliveTimeout: 30_000, connections: CONCURRENCY * 2 });

/** Seeded so two runs send the same mix. */
const random = seededRandom(13);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const token = () => Math.floor(random() * 2 ** 48).toString(36);

interface Answer {
  status: number;
  body: Buffer;
}

let gatewayUrl = '';
const heldUrls: string[] = [];
const jobIds: string[] = [];
const statuses = new Map<string, number>();
/** The first error body of each kind and status, printed at the end so a reader sees what was refused and why. */
const samples = new Map<string, string>();
const timeByKind = new Map<string, { n: number; ms: number }>();
let clientErrors = 0;

async function send(method: string, path: string, body?: string | Buffer | Readable, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(`${gatewayUrl}${path}`, { method: method as 'GET', body, headers, dispatcher: client });
  return { status: response.statusCode, body: Buffer.from(await response.body.arrayBuffer()) };
}
const json = (path: string, value: unknown) =>
  send('POST', path, typeof value === 'string' ? value : JSON.stringify(value), { 'content-type': 'application/json' });

function multipart(fields: Record<string, string>, files: Record<string, Buffer>): { body: Buffer; type: string } {
  const boundary = `soak${token()}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields))
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  for (const [name, bytes] of Object.entries(files)) {
    parts.push(
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"; filename="${name}.png"\r\ncontent-type: image/png\r\n\r\n`),
      bytes,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

/** A small real PNG, drawn once by the sandbox through the gateway. */
let inputPng = Buffer.alloc(0);
const oversized = Buffer.alloc(26 * 1024 * 1024, 0x7b);

function chunked(total: number): Readable {
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < total; sent += chunk.length) yield chunk;
    })(),
  );
}

const SMALL = { model: 'openai/dall-e-2', size: '256x256' };

/** Each kind of request with its weight; the weights add up to 100. */
const MIX: [number, string, () => Promise<Answer>][] = [
  [16, 'generate b64_json', () => json('/v1/images/generations', { ...SMALL, prompt: `soak ${Math.floor(random() * 50)}`, response_format: 'b64_json' })],
  [
    14,
    'generate url',
    async () => {
      const answer = await json('/v1/images/generations', { ...SMALL, prompt: `soak url ${Math.floor(random() * 50)}`, response_format: 'url' });
      const url = answer.status === 200 ? (JSON.parse(answer.body.toString()) as { data: { url: string }[] }).data[0]?.url : undefined;
      if (url) heldUrls.push(new URL(url).pathname);
      if (heldUrls.length > 5000) heldUrls.splice(0, heldUrls.length - 5000);
      return answer;
    },
  ],
  [6, 'fetch url answer', () => send('GET', heldUrls.length ? pick(heldUrls) : '/v1/files/none')],
  [
    8,
    'edit multipart',
    () => {
      const form = multipart(
        { model: 'openai/dall-e-2', prompt: 'soak edit', size: '256x256', response_format: pick(['b64_json', 'url']) },
        { image: inputPng },
      );
      return send('POST', '/v1/images/edits', form.body, { 'content-type': form.type });
    },
  ],
  [
    6,
    'native generate',
    () =>
      json('/v1/easel/generate', { model: pick(['openai/dall-e-2', 'fal/flux/schnell']), prompt: `soak native ${Math.floor(random() * 50)}`, size: '256x256' }),
  ],
  // Replicate's outputs are files the sandbox serves for an hour: what the sandbox's own budget bounds.
  [
    2,
    'native generate (Replicate)',
    () =>
      json('/v1/easel/generate', {
        model: 'replicate/black-forest-labs/flux-schnell',
        prompt: `soak replicate ${Math.floor(random() * 20)}`,
        aspectRatio: '1:1',
      }),
  ],
  [
    2,
    'start job',
    async () => {
      const answer = await json('/v1/jobs', { items: [{ prompt: `soak job ${token()}`, size: '256x256' }], model: 'openai/dall-e-2' });
      if (answer.status === 202) jobIds.push((JSON.parse(answer.body.toString()) as { id: string }).id);
      return answer;
    },
  ],
  [2, 'read job', () => send('GET', `/v1/jobs/${jobIds.length ? pick(jobIds) : token()}`)],
  [8, 'bad JSON', () => json('/v1/images/generations', pick(['{"prompt": "x",', 'null', '[1,2]', '{"prompt":', '\u0000\u0001', '{"prompt": 5}']))],
  [0.2, 'body over the limit (declared)', () => send('POST', '/v1/images/generations', oversized, { 'content-type': 'application/json' })],
  [0.2, 'body over the limit (chunked)', () => send('POST', '/v1/easel/generate', chunked(27 * 1024 * 1024), { 'content-type': 'application/json' })],
  [11, 'unknown route', () => send(pick(['GET', 'POST', 'DELETE']), `/${pick(['v1', 'v2', 'api', 'v1/images'])}/${token()}/${token()}`)],
  [
    6,
    'bad size',
    () =>
      json('/v1/images/generations', { model: 'openai/dall-e-2', prompt: 'soak', size: pick(['0x0', '512x0', '99999x99999', 'big', `${token()}x1`, '-1x-1']) }),
  ],
  [
    4,
    'edit without file',
    () => {
      const form = multipart({ model: 'openai/dall-e-2', prompt: 'soak edit' }, {});
      return send('POST', '/v1/images/edits', form.body, { 'content-type': form.type });
    },
  ],
  [6, 'random file id', () => send('GET', `/v1/files/${token()}${token()}`)],
  [4.6, 'unknown Replicate model', () => json('/v1/easel/generate', { model: `replicate/${token()}/${token()}`, prompt: 'soak', size: '256x256' })],
  [3, 'unknown model', () => json('/v1/images/generations', { model: `${pick(['openai', 'fal', 'stability', 'nobody'])}/${token()}`, prompt: 'soak' })],
];

function chooseKind(): (typeof MIX)[number] {
  let at = random() * MIX.reduce((sum, [w]) => sum + w, 0);
  for (const entry of MIX) if ((at -= entry[0]) < 0) return entry;
  return MIX[0]!;
}

async function one(): Promise<void> {
  const [, label, call] = chooseKind();
  const t0 = performance.now();
  try {
    const answer = await call();
    const key = `${label} → ${answer.status}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    if (answer.status >= 400 && !samples.has(key)) samples.set(key, answer.body.toString().slice(0, 160));
  } catch {
    // A body over the limit is refused while it is still being sent: the client sees a reset.
    clientErrors++;
    statuses.set(`${label} → connection closed`, (statuses.get(`${label} → connection closed`) ?? 0) + 1);
  } finally {
    const time = timeByKind.get(label) ?? { n: 0, ms: 0 };
    time.n++;
    time.ms += performance.now() - t0;
    timeByKind.set(label, time);
  }
}

/** The gateway's JS heap and memory outside it (Buffers, native), in MB, from its /metrics. */
const finishedJobs = new Set<string>();
/**
 * Waits (up to a minute) until every job this run started has finished, so each reading is taken
 * with the gateway's background work done: what the gateway keeps, not what a job holds mid-run.
 * Returns how many were still running.
 */
async function jobsSettled(): Promise<number> {
  for (let round = 0; round < 600; round++) {
    let running = 0;
    for (const id of jobIds) {
      if (finishedJobs.has(id)) continue;
      const answer = await send('GET', `/v1/jobs/${id}`);
      if (answer.status === 200 && (JSON.parse(answer.body.toString()) as { status: string }).status === 'running') running++;
      else finishedJobs.add(id);
    }
    if (running === 0) return 0;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return jobIds.length - finishedJobs.size;
}

async function heapMb(): Promise<string> {
  const text = (await send('GET', '/metrics')).body.toString();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 1e6;
  return `heap ${read('nodejs_heap_size_used_bytes').toFixed(0)}/${read('nodejs_heap_size_total_bytes').toFixed(0)} MB, external ${read('nodejs_external_memory_bytes').toFixed(0)} MB`;
}

export async function benchSoak(): Promise<{ pass: boolean; readingsMb: number[] }> {
  const servers: ChildServer[] = [];
  try {
    const sandbox = await startChild(
      ['sandbox', '--port', '0', '--time-scale', '0', '--unlimited', '--no-cold-starts', '--grain', '40', '--fixed-seed', '1'],
      {},
      /listening on (http:\/\/\S+)/,
    );
    servers.push(sandbox);
    const state = mkdtempSync(join(tmpdir(), 'easel-soak-'));
    // The vendors' published rates would pace the run to a crawl (OpenAI: 100 a minute); the sandbox runs unlimited.
    const unlimited = { requestsPerMinute: 1_000_000, concurrent: 1000 };
    const config = join(state, 'easel.config.json');
    writeFileSync(config, JSON.stringify({ limits: { openai: unlimited, stability: unlimited, replicate: unlimited, fal: unlimited } }));
    const gateway = await startChild(
      ['serve', '--port', '0', '--state', state, '--config', config, '--url-budget-mb', String(URL_BUDGET_MB)],
      { EASEL_SANDBOX_URL: sandbox.url },
      /gateway listening on (http:\/\/\S+)/,
    );
    servers.push(gateway);
    gatewayUrl = gateway.url;
    const first = await json('/v1/images/generations', { ...SMALL, prompt: 'soak input', response_format: 'b64_json' });
    // DALL-E 2 edits take RGBA, LA or L PNGs only.
    inputPng = await sharp(Buffer.from((JSON.parse(first.body.toString()) as { data: { b64_json: string }[] }).data[0]!.b64_json, 'base64'))
      .ensureAlpha()
      .png()
      .toBuffer();

    const mb = (bytes: number) => bytes / 1e6;
    const start = { gateway: mb(rss(gateway.pid).current), sandbox: mb(rss(sandbox.pid).current), heap: await heapMb() };
    console.log(
      `soak benchmark: ${TOTAL} mixed requests, concurrency ${CONCURRENCY}, gateway url budget ${URL_BUDGET_MB} MB (gateway and sandbox in their own processes)`,
    );
    console.log(`  start:  gateway RSS ${start.gateway.toFixed(0)} MB, ${start.heap} · sandbox RSS ${start.sandbox.toFixed(0)} MB`);
    const readings: number[] = [];
    const t0 = performance.now();
    for (let done = 0; done < TOTAL; done += CHECKPOINT) {
      const { wallMs } = await runConcurrently(Math.min(CHECKPOINT, TOTAL - done), CONCURRENCY, one);
      const stillRunning = await jobsSettled();
      if (stillRunning > 0) console.log(`  (${stillRunning} jobs still running after a minute)`);
      const gatewayRss = mb(rss(gateway.pid).current);
      readings.push(gatewayRss);
      console.log(
        `  ${String(done + Math.min(CHECKPOINT, TOTAL - done)).padStart(6)}: gateway RSS ${gatewayRss.toFixed(0)} MB, ${await heapMb()} · sandbox RSS ${mb(rss(sandbox.pid).current).toFixed(0)} MB · ${(Math.min(CHECKPOINT, TOTAL - done) / (wallMs / 1000)).toFixed(0)} req/s`,
      );
    }
    const last = readings.slice(-3);
    const settled = last.length === 3 && Math.max(...last) <= Math.min(...last) * 1.1;
    const under = Math.max(...readings) < BOUND_MB;
    const pass = settled && under;
    console.log(`  ${((performance.now() - t0) / 1000) | 0} s; answers by kind and status:`);
    for (const [key, count] of [...statuses].sort()) console.log(`    ${key}: ${count}${samples.has(key) ? `  e.g. ${samples.get(key)}` : ''}`);
    console.log(`  mean time by kind: ${[...timeByKind].map(([label, t]) => `${label} ${(t.ms / t.n).toFixed(1)} ms`).join(', ')}`);
    const serverErrors = [...statuses].filter(([key]) => / → 5\d\d$/.test(key)).reduce((sum, [, n]) => sum + n, 0);
    console.log(`  5xx answers: ${serverErrors}; connections closed on the client: ${clientErrors}`);
    console.log(
      `  last three gateway RSS readings ${last.map((r) => r.toFixed(0)).join(', ')} MB: ${settled ? 'settled (within 10%)' : 'NOT settled'}; highest ${Math.max(...readings).toFixed(0)} MB vs bound ${BOUND_MB} MB`,
    );
    console.log(pass ? 'PASS' : 'FAIL');
    return { pass, readingsMb: readings };
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await client.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { pass } = await benchSoak();
  process.exitCode = pass ? 0 : 1;
}
