/**
 * Hedging benchmark, on the sandbox's latency profiles (time-scaled): p50/p99 latency of the same
 * requests with and without hedging, and the extra vendor requests hedging cost, in one run.
 * Target: hedged p99 ≤ 0.6 × unhedged p99 for ≤ 10% extra requests.
 *
 * The primary is Replicate SDXL, whose profile carries the guide's cold starts ("can add 10-30
 * seconds"); the router's next candidate is the backup. Run: npx tsx bench/hedging.ts
 */
import { createEasel } from '../src/easel.js';
import { startSandbox } from '../src/sandbox/server.js';
import { runConcurrently, summarize } from './stats.js';

const TIME_SCALE = 0.05;
const REQUESTS = 300;
const CONCURRENCY = 12;
const HEDGE_PERCENTILE = 98;

interface Figures {
  p50: number;
  p99: number;
  vendorRequests: number;
  charges: number;
}

async function measure(hedge: boolean): Promise<Figures> {
  const sandbox = await startSandbox({ timeScale: TIME_SCALE, limits: { replicate: { concurrent: 10_000 } } });
  const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 10 }, latencyScale: TIME_SCALE });
  try {
    const policy = {
      targets: { fallback: [{ model: 'replicate/stability-ai/sdxl' }, { model: 'replicate/black-forest-labs/flux-schnell' }] },
      hedge: hedge ? { percentile: HEDGE_PERCENTILE } : false,
      retries: 0,
    } as const;
    const { latencies } = await runConcurrently(REQUESTS, CONCURRENCY, async (i) => {
      await easel.generate({ prompt: `hedging bench ${i}`, size: '512x512', allowAdjustments: true, policy });
    });
    const stats = summarize(latencies);
    const creates = sandbox.context.requests.filter((r) => r.vendor === 'replicate' && r.method === 'POST' && !r.path.endsWith('/cancel')).length;
    return { p50: stats.p50, p99: stats.p99, vendorRequests: creates, charges: sandbox.context.ledger.list().length };
  } finally {
    await easel.close();
    await sandbox.close();
  }
}

export async function benchHedging(): Promise<Record<string, number>> {
  const plain = await measure(false);
  const hedged = await measure(true);
  const p99Ratio = hedged.p99 / plain.p99;
  const extraRequests = (hedged.vendorRequests - plain.vendorRequests) / plain.vendorRequests;
  const extraCharges = (hedged.charges - plain.charges) / plain.charges;
  console.log(`hedging benchmark (one run, ${REQUESTS} requests, concurrency ${CONCURRENCY}, time scale ${TIME_SCALE}, hedge at p${HEDGE_PERCENTILE})`);
  console.log(`  unhedged: p50 ${plain.p50.toFixed(0)} ms, p99 ${plain.p99.toFixed(0)} ms, ${plain.vendorRequests} vendor requests, ${plain.charges} charges`);
  console.log(
    `  hedged:   p50 ${hedged.p50.toFixed(0)} ms, p99 ${hedged.p99.toFixed(0)} ms, ${hedged.vendorRequests} vendor requests, ${hedged.charges} charges`,
  );
  console.log(`  p99 ratio hedged/unhedged: ${p99Ratio.toFixed(2)} (target ≤ 0.60)`);
  console.log(
    `  extra requests: ${(extraRequests * 100).toFixed(1)}% (target ≤ 10%); extra charges: ${(extraCharges * 100).toFixed(1)}% (cancelled losers are not billed)`,
  );
  return { unhedgedP99: plain.p99, hedgedP99: hedged.p99, p99Ratio, extraRequests, extraCharges };
}

if (import.meta.url === `file://${process.argv[1]}`) await benchHedging();
