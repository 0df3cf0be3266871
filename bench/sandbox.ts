/**
 * Sandbox benchmark: how long drawing a 1024x1024 placeholder takes, and how many small-image requests
 * per second the sandbox answers (beside its bare control route, measured in the same run).
 * Run: npx tsx bench/sandbox.ts
 */
import { drawPlaceholder } from '../src/sandbox/draw.js';
import { startSandbox } from '../src/sandbox/server.js';
import { runConcurrently, summarize } from './stats.js';

const DRAWS = 30;
const REQUESTS = 400;
const CONCURRENCY = 16;

export async function benchSandbox(): Promise<Record<string, number>> {
  const drawTimes: number[] = [];
  for (let i = 0; i < DRAWS; i++) {
    const t0 = performance.now();
    await drawPlaceholder({ width: 1024, height: 1024, format: 'png', model: 'bench', prompt: `prompt ${i}`, seed: i, grain: 0 });
    drawTimes.push(performance.now() - t0);
  }
  const draw = summarize(drawTimes);

  // No latency, no rate limits: this measures the sandbox itself.
  const sandbox = await startSandbox({ timeScale: 0, limits: { openai: { requestsPerMinute: 1_000_000 } } });
  try {
    const headers = { authorization: 'Bearer bench', 'content-type': 'application/json' };
    const generate = (i: number) =>
      fetch(`${sandbox.urls.openai}/images/generations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: 'dall-e-2', prompt: `small image ${i}`, size: '256x256', response_format: 'b64_json' }),
      }).then(async (res) => {
        if (res.status !== 200) throw new Error(`sandbox answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      });
    const health = () =>
      fetch(`${sandbox.urls.control}/health`)
        .then((res) => res.arrayBuffer())
        .then(() => undefined);
    await runConcurrently(40, CONCURRENCY, generate); // warm-up
    const images = await runConcurrently(REQUESTS, CONCURRENCY, generate);
    const bare = await runConcurrently(REQUESTS, CONCURRENCY, health);
    const imageRps = REQUESTS / (images.wallMs / 1000);
    const bareRps = REQUESTS / (bare.wallMs / 1000);
    const figures = {
      draw1024p50Ms: draw.p50,
      draw1024p99Ms: draw.p99,
      smallImageRps: imageRps,
      smallImageP50Ms: summarize(images.latencies).p50,
      controlRouteRps: bareRps,
      imageToControlRatio: imageRps / bareRps,
    };
    console.log('sandbox benchmark (one run)');
    console.log(`  draw 1024x1024 PNG placeholder: p50 ${draw.p50.toFixed(1)} ms, p99 ${draw.p99.toFixed(1)} ms (${DRAWS} draws)`);
    console.log(`  OpenAI 256x256 b64 generations: ${imageRps.toFixed(0)} req/s at concurrency ${CONCURRENCY} (p50 ${figures.smallImageP50Ms.toFixed(1)} ms)`);
    console.log(`  bare control route:             ${bareRps.toFixed(0)} req/s (image route = ${(figures.imageToControlRatio * 100).toFixed(1)}% of it)`);
    return figures;
  } finally {
    await sandbox.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSandbox();
