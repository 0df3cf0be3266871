/**
 * Gateway benchmark, one run: the latency the gateway adds (p50, p99) and its throughput against
 * calling the sandbox directly at the same concurrency; then its peak RSS while 100 concurrent
 * requests each return a ~4 MB image. Sandbox and gateway run as separate processes, as in production.
 * Targets: added p50 under 1 ms, throughput at least 80% of direct, no image held more than twice.
 * Beside it, a bare pass-through proxy (bench/passthrough-proxy.ts) shows what the extra hop alone costs.
 * Run: npx tsx bench/gateway.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolve } from 'node:path';
import { type ChildServer, resetPeakRss, rss, startChild, startScript } from './processes.js';
import { runConcurrently, summarize } from './stats.js';

const REQUESTS = 600;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 2);
const BIG_REQUESTS = 100;

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const bytes = (await response.arrayBuffer()).byteLength;
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return bytes;
}

async function phase(label: string, call: (i: number) => Promise<unknown>) {
  await runConcurrently(60, CONCURRENCY, call); // warm-up: JIT, connections, sharp
  const { latencies, wallMs } = await runConcurrently(REQUESTS, CONCURRENCY, call);
  const stats = summarize(latencies);
  return { label, ...stats, rps: REQUESTS / (wallMs / 1000) };
}

export async function benchGateway(): Promise<Record<string, number>> {
  const servers: ChildServer[] = [];
  try {
    const sandbox = await startChild(['sandbox', '--port', '0', '--time-scale', '0', '--unlimited', '--grain', '40', '--fixed-seed', '1'], {}, /listening on (http:\/\/\S+)/);
    servers.push(sandbox);
    const gateway = await startChild(['serve', '--port', '0', '--state', mkdtempSync(join(tmpdir(), 'easel-bench-gw-'))], { EASEL_SANDBOX_URL: sandbox.url }, /gateway listening on (http:\/\/\S+)/);
    servers.push(gateway);

    // Small images: what the gateway itself costs.
    const small = { prompt: 'bench', size: '256x256', response_format: 'b64_json' };
    // One prompt throughout: the sandbox serves its drawing from memory, so the figures are the gateway's own cost.
    const direct = await phase('direct', () => post(`${sandbox.url}/openai/v1/images/generations`, { ...small, model: 'dall-e-2' }, { authorization: 'Bearer bench' }));
    const viaGateway = await phase('gateway', () => post(`${gateway.url}/v1/images/generations`, { ...small, model: 'openai/dall-e-2' }));
    // The yardstick: a proxy that parses nothing. What it adds is the extra hop's own cost here.
    const bare = await startScript(resolve(import.meta.dirname, 'passthrough-proxy.ts'), [sandbox.url], {}, /listening on (http:\/\/\S+)/);
    servers.push(bare);
    const viaBare = await phase('bare proxy', () => post(bare.url, { ...small, model: 'dall-e-2' }));

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

    const figures = {
      directP50Ms: direct.p50,
      directP99Ms: direct.p99,
      gatewayP50Ms: viaGateway.p50,
      gatewayP99Ms: viaGateway.p99,
      addedP50Ms: viaGateway.p50 - direct.p50,
      addedP99Ms: viaGateway.p99 - direct.p99,
      throughputRatio: viaGateway.rps / direct.rps,
      bareProxyAddedP50Ms: viaBare.p50 - direct.p50,
      bareProxyThroughputRatio: viaBare.rps / direct.rps,
      imageMb: imageBytes / 1e6,
      peakRssMb: after.peak / 1e6,
      baselineRssMb: before.current / 1e6,
      imagesHeldPerImage: heldPerImage,
    };
    console.log(`gateway benchmark (one run, ${REQUESTS} requests at concurrency ${CONCURRENCY}, 256x256 images)`);
    console.log(`  direct:  p50 ${direct.p50.toFixed(2)} ms, p99 ${direct.p99.toFixed(2)} ms, ${direct.rps.toFixed(0)} req/s`);
    console.log(`  gateway: p50 ${viaGateway.p50.toFixed(2)} ms, p99 ${viaGateway.p99.toFixed(2)} ms, ${viaGateway.rps.toFixed(0)} req/s`);
    console.log(`  added latency: p50 ${figures.addedP50Ms.toFixed(2)} ms (target < 1), p99 ${figures.addedP99Ms.toFixed(2)} ms; throughput ${(figures.throughputRatio * 100).toFixed(1)}% of direct (target ≥ 80%)`);
    console.log(`  yardstick, a bare pass-through proxy (parses nothing): p50 ${viaBare.p50.toFixed(2)} ms, adds ${figures.bareProxyAddedP50Ms.toFixed(2)} ms; throughput ${(figures.bareProxyThroughputRatio * 100).toFixed(1)}% of direct`);
    console.log(`  ${BIG_REQUESTS} concurrent ${figures.imageMb.toFixed(1)} MB images: gateway RSS ${figures.baselineRssMb.toFixed(0)} MB → peak ${figures.peakRssMb.toFixed(0)} MB, i.e. ${heldPerImage.toFixed(2)} copies held per image (target ≤ 2)`);
    return figures;
  } finally {
    for (const server of servers.reverse()) await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchGateway();
