/**
 * Gateway benchmark, one run: the latency the gateway adds (p50, p99) and its throughput against
 * calling the sandbox directly at the same concurrency; then its peak RSS while 100 concurrent
 * requests each return a ~4 MB image. Sandbox and gateway run as separate processes, as in production.
 * Targets: added p50 under 1 ms, throughput at least 80% of direct, no image held more than twice.
 *
 * Beside it, a bare pass-through proxy (bench/passthrough-proxy.ts) shows what the extra hop alone
 * costs on this machine, and each server's CPU time per request (from /proc) shows what easel's own
 * work costs beyond that hop, a figure the scheduling noise of a shared 2-core machine barely moves.
 * The three targets are measured in interleaved rounds (direct, gateway, proxy, direct, …) so that a
 * change in the machine's load during the run falls on all three alike. The load generator sends
 * with undici's `request` rather than `fetch`: fetch's WHATWG streams cost the client ~0.5 ms of CPU
 * per answer, taken from the same two cores the servers run on.
 * Run: npx tsx bench/gateway.ts  (BENCH_CONCURRENCY=1,2 by default)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import { type ChildServer, cpuMs, resetPeakRss, rss, startChild, startScript } from './processes.js';
import { runConcurrently, summarize } from './stats.js';

const ROUNDS = 6;
const PER_ROUND = 100;
const WARM_UP = 100;
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '1,2').split(',').map(Number);
const BIG_REQUESTS = 100;

const client = new Agent({ keepAliveTimeout: 30_000, connections: 128 });

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    dispatcher: client,
  });
  const bytes = (await response.body.arrayBuffer()).byteLength;
  if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}`);
  return bytes;
}

interface Target {
  label: string;
  pid: number;
  call: () => Promise<unknown>;
}

interface Measured {
  p50: number;
  p99: number;
  rps: number;
  /** CPU time of the target's own server process per request (the sandbox's for direct calls). */
  cpuMsPerRequest: number;
}

/** Interleaved rounds over every target at one concurrency; pooled latencies, summed wall and CPU time. */
async function measure(targets: readonly Target[], concurrency: number): Promise<Record<string, Measured>> {
  for (const target of targets) await runConcurrently(WARM_UP, concurrency, target.call); // JIT, connections
  const pooled = new Map(targets.map((t) => [t.label, { latencies: [] as number[], wallMs: 0, cpuMs: 0 }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of targets) {
      const cpuBefore = cpuMs(target.pid);
      const { latencies, wallMs } = await runConcurrently(PER_ROUND, concurrency, target.call);
      const entry = pooled.get(target.label)!;
      entry.latencies.push(...latencies);
      entry.wallMs += wallMs;
      entry.cpuMs += cpuMs(target.pid) - cpuBefore;
    }
  }
  return Object.fromEntries(
    [...pooled].map(([label, { latencies, wallMs, cpuMs: cpu }]) => {
      const { p50, p99 } = summarize(latencies);
      return [label, { p50, p99, rps: latencies.length / (wallMs / 1000), cpuMsPerRequest: cpu / latencies.length }];
    }),
  );
}

export async function benchGateway(): Promise<Record<string, number>> {
  const servers: ChildServer[] = [];
  try {
    const sandbox = await startChild(
      ['sandbox', '--port', '0', '--time-scale', '0', '--unlimited', '--grain', '40', '--fixed-seed', '1'],
      {},
      /listening on (http:\/\/\S+)/,
    );
    servers.push(sandbox);
    const gateway = await startChild(
      ['serve', '--port', '0', '--state', mkdtempSync(join(tmpdir(), 'easel-bench-gw-'))],
      { EASEL_SANDBOX_URL: sandbox.url },
      /gateway listening on (http:\/\/\S+)/,
    );
    servers.push(gateway);
    // The yardstick: a proxy that parses nothing. What it adds is the extra hop's own cost here.
    const bare = await startScript(resolve(import.meta.dirname, 'passthrough-proxy.ts'), [sandbox.url], {}, /listening on (http:\/\/\S+)/);
    servers.push(bare);

    // Small images: what the gateway itself costs. One prompt throughout: the sandbox serves its
    // drawing from memory, so the figures are the gateway's own cost, not placeholder drawing.
    const small = { prompt: 'bench', size: '256x256', response_format: 'b64_json' };
    const targets: Target[] = [
      {
        label: 'direct',
        pid: sandbox.pid,
        call: () => post(`${sandbox.url}/openai/v1/images/generations`, { ...small, model: 'dall-e-2' }, { authorization: 'Bearer bench' }),
      },
      { label: 'gateway', pid: gateway.pid, call: () => post(`${gateway.url}/v1/images/generations`, { ...small, model: 'openai/dall-e-2' }) },
      { label: 'bare proxy', pid: bare.pid, call: () => post(bare.url, { ...small, model: 'dall-e-2' }) },
    ];

    const figures: Record<string, number> = {};
    const lines: string[] = [];
    for (const concurrency of CONCURRENCIES) {
      const m = await measure(targets, concurrency);
      const direct = m.direct!;
      const viaGateway = m.gateway!;
      const viaBare = m['bare proxy']!;
      const c = `c${concurrency}`;
      Object.assign(figures, {
        [`${c}.directP50Ms`]: direct.p50,
        [`${c}.gatewayP50Ms`]: viaGateway.p50,
        [`${c}.addedP50Ms`]: viaGateway.p50 - direct.p50,
        [`${c}.addedP99Ms`]: viaGateway.p99 - direct.p99,
        [`${c}.throughputRatio`]: viaGateway.rps / direct.rps,
        [`${c}.bareProxyAddedP50Ms`]: viaBare.p50 - direct.p50,
        [`${c}.bareProxyThroughputRatio`]: viaBare.rps / direct.rps,
        [`${c}.gatewayCpuMsPerRequest`]: viaGateway.cpuMsPerRequest,
        [`${c}.bareProxyCpuMsPerRequest`]: viaBare.cpuMsPerRequest,
      });
      lines.push(
        `  concurrency ${concurrency} (${ROUNDS} interleaved rounds of ${PER_ROUND} requests each):`,
        `    direct:     p50 ${direct.p50.toFixed(2)} ms, p99 ${direct.p99.toFixed(2)} ms, ${direct.rps.toFixed(0)} req/s (sandbox CPU ${direct.cpuMsPerRequest.toFixed(2)} ms/request)`,
        `    gateway:    p50 ${viaGateway.p50.toFixed(2)} ms, p99 ${viaGateway.p99.toFixed(2)} ms, ${viaGateway.rps.toFixed(0)} req/s (gateway CPU ${viaGateway.cpuMsPerRequest.toFixed(2)} ms/request)`,
        `    bare proxy: p50 ${viaBare.p50.toFixed(2)} ms, p99 ${viaBare.p99.toFixed(2)} ms, ${viaBare.rps.toFixed(0)} req/s (proxy CPU ${viaBare.cpuMsPerRequest.toFixed(2)} ms/request)`,
        `    gateway adds p50 ${(viaGateway.p50 - direct.p50).toFixed(2)} ms (target < 1), p99 ${(viaGateway.p99 - direct.p99).toFixed(2)} ms; throughput ${((viaGateway.rps / direct.rps) * 100).toFixed(1)}% of direct (target ≥ 80%)`,
        `    the hop alone (bare proxy) adds p50 ${(viaBare.p50 - direct.p50).toFixed(2)} ms, throughput ${((viaBare.rps / direct.rps) * 100).toFixed(1)}% of direct; easel's work beyond it: +${(viaGateway.p50 - viaBare.p50).toFixed(2)} ms p50, +${(viaGateway.cpuMsPerRequest - viaBare.cpuMsPerRequest).toFixed(2)} ms CPU per request`,
      );
    }

    // Large images: 100 at once, ~4 MB each; peak RSS of the gateway process for this phase only.
    const before = rss(gateway.pid);
    resetPeakRss(gateway.pid);
    const sizes: number[] = [];
    await runConcurrently(BIG_REQUESTS, BIG_REQUESTS, async (i) => {
      sizes.push(await post(`${gateway.url}/v1/images/generations`, { model: 'openai/gpt-image-1', prompt: `big ${i}`, size: '1536x1024' }));
    });
    const after = rss(gateway.pid);
    const imageBytes = (summarize(sizes).mean * 3) / 4; // the answers are base64
    const heldPerImage = (after.peak - before.current) / (BIG_REQUESTS * imageBytes);
    Object.assign(figures, { imageMb: imageBytes / 1e6, peakRssMb: after.peak / 1e6, baselineRssMb: before.current / 1e6, imagesHeldPerImage: heldPerImage });

    console.log('gateway benchmark (one run, 256x256 images, OpenAI route)');
    for (const line of lines) console.log(line);
    console.log(
      `  ${BIG_REQUESTS} concurrent ${(imageBytes / 1e6).toFixed(1)} MB images: gateway RSS ${(before.current / 1e6).toFixed(0)} MB → peak ${(after.peak / 1e6).toFixed(0)} MB, i.e. ${heldPerImage.toFixed(2)} copies held per image (target ≤ 2)`,
    );
    return figures;
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await client.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchGateway();
