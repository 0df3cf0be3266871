/**
 * Batch makespan benchmark, one run per vendor profile: 1000 items through `easel.batch` against the
 * sandbox's profile of that vendor (latency and rate limits, time-scaled), divided by the bound its
 * limits allow — the makespan of an ideal client (bench/ideal-client.ts) on the job durations this
 * run drew where the sandbox reports them (FAL), else its mean over simulated runs — target ≤ 1.05.
 * Beside it, the same 1000 items sent naively — all at once through the vendor's official client
 * (Stability has none: plain fetch) — with its 429s and makespan.
 * Run: npx tsx bench/batch-makespan.ts [openai replicate fal stability]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import Replicate from 'replicate';
import { createFalClient } from '@fal-ai/client';
import { PROVIDER_LIMITS } from '../src/catalog/limits.js';
import { findModel } from '../src/catalog/index.js';
import { createEasel } from '../src/easel.js';
import { timeUnderLimits } from '../src/router/estimate.js';
import { meanLatencyMs } from '../src/router/hedge.js';
import { sandboxUrls, type SandboxUrls } from '../src/core/sandbox-urls.js';
import { idealMakespanForDurations, idealMakespanMs } from './ideal-client.js';
import { cpuMs, startChild } from './processes.js';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 1000);

interface Profile {
  vendor: 'openai' | 'replicate' | 'fal' | 'stability';
  model: string;
  /**
   * Chosen so the vendor's shortest rate window stays a few seconds long (the pacer keeps ~35 ms of
   * each window for arrival jitter: nothing against a real minute, too much against a 1-second one)
   * and a run takes about a minute at most.
   */
  timeScale: number;
  request: Record<string, unknown>;
  naive: (sandbox: { url: string; urls: SandboxUrls }, i: number) => Promise<unknown>;
}

const PROFILES: Profile[] = [
  {
    vendor: 'openai',
    model: 'openai/dall-e-2',
    timeScale: 0.1,
    request: { size: '256x256' },
    naive: (sandbox, i) =>
      new OpenAI({ apiKey: 'bench', baseURL: sandbox.urls.openai }).images.generate({
        model: 'dall-e-2',
        prompt: `naive ${i}`,
        size: '256x256',
        response_format: 'b64_json',
      }),
  },
  {
    vendor: 'replicate',
    model: 'replicate/stability-ai/sdxl',
    timeScale: 0.1,
    request: { size: '256x256', seed: 7 },
    naive: (sandbox, i) =>
      new Replicate({ auth: 'bench', baseUrl: sandbox.urls.replicate }).run(
        'stability-ai/sdxl:39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b',
        { input: { prompt: `naive ${i}`, width: 256, height: 256 } },
      ),
  },
  {
    vendor: 'fal',
    model: 'fal/flux/schnell',
    timeScale: 0.25,
    request: { size: '512x512', seed: 7 },
    naive: (sandbox, i) =>
      createFalClient({
        credentials: 'bench',
        requestMiddleware: async (req) => ({
          ...req,
          url: req.url.replace('https://queue.fal.run', sandbox.urls.falQueue).replace('https://fal.run', sandbox.urls.falRun),
        }),
      }).subscribe('fal-ai/flux/schnell', { input: { prompt: `naive ${i}`, image_size: { width: 512, height: 512 } }, pollInterval: 50 }),
  },
  {
    vendor: 'stability',
    model: 'stability/sdxl-1.0',
    timeScale: 0.25,
    request: { size: '1024x1024', seed: 7 },
    naive: async (sandbox, i) => {
      const response = await fetch(`${sandbox.urls.stability}/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image`, {
        method: 'POST',
        headers: { authorization: 'Bearer bench', 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ text_prompts: [{ text: `naive ${i}` }], width: 1024, height: 1024 }),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(String(response.status));
    },
  },
];

/**
 * The sandbox runs in its own process, as a vendor does: on one event loop with easel, the two would
 * share a core and the figures would measure this machine rather than the pacing.
 */
async function startVendor(timeScale: number) {
  const child = await startChild(['sandbox', '--port', '0', '--time-scale', String(timeScale), '--no-cold-starts'], {}, /listening on (http:\/\/\S+)/);
  const tooMany = async () => {
    const { requests } = (await (await fetch(`${child.url}/_sandbox/requests`)).json()) as { requests: { status?: number }[] };
    return requests.filter((r) => r.status === 429).length;
  };
  // Where the vendor reports how long it worked on each job (FAL), those durations in start order.
  const durations = async () => {
    const { charges } = (await (await fetch(`${child.url}/_sandbox/ledger`)).json()) as { charges: { at: string; computeMs?: number }[] };
    if (charges.length === 0 || charges.some((c) => c.computeMs === undefined)) return undefined;
    return charges
      .map((c) => ({ startedAt: Date.parse(c.at) - c.computeMs!, ms: c.computeMs! }))
      .sort((a, b) => a.startedAt - b.startedAt)
      .map((c) => c.ms);
  };
  return { url: child.url, urls: sandboxUrls(child.url), tooMany, durations, cpuMs: () => cpuMs(child.pid), close: () => child.stop() };
}

async function measureEasel(profile: Profile) {
  const sandbox = await startVendor(profile.timeScale);
  const limits = PROVIDER_LIMITS[profile.vendor];
  // The pacer works in wall time; the sandbox's windows are scaled, so scale the limits to match.
  const scaled = {
    requestsPerMinute: limits.requestsPerMinute,
    windowMs: 60_000 * profile.timeScale,
    concurrent: limits.concurrent,
    burst: limits.burst ? { requests: limits.burst.requests, windowMs: limits.burst.windowMs * profile.timeScale } : undefined,
  };
  const model = findModel(profile.model)!;
  // latencyScale: easel times its polls (and hedges) on the sandbox's scaled clock.
  const easel = createEasel({
    env: { EASEL_SANDBOX_URL: sandbox.url },
    config: { stateDir: mkdtempSync(join(tmpdir(), 'easel-makespan-')) },
    latencyScale: profile.timeScale,
  });
  try {
    // One prompt and seed throughout, so the sandbox draws once and the figures measure pacing, not
    // this machine's CPU; `cache: false` so easel still calls the vendor for every item.
    const items = Array.from({ length: ITEMS }, () => ({ prompt: 'makespan', model: profile.model, allowAdjustments: true, cache: false, ...profile.request }));
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const sandboxCpuBefore = sandbox.cpuMs();
    const run = await easel.batch(items, {
      outDir: mkdtempSync(join(tmpdir(), 'easel-makespan-out-')),
      limits: { [profile.vendor]: scaled },
      concurrency: 2000,
    });
    const final = await run.done;
    const makespan = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const sandboxCpu = (sandbox.cpuMs() - sandboxCpuBefore) / makespan;
    // The vendor's limits and latency, on the sandbox's scaled clock.
    const latency = { p50Ms: model.latency.p50Ms * profile.timeScale, p99Ms: model.latency.p99Ms * profile.timeScale };
    // The same luck as this run where the vendor reports its job durations; else the average run.
    const drawn = await sandbox.durations();
    const bound = drawn ? idealMakespanForDurations(drawn, scaled) : idealMakespanMs(ITEMS, latency, scaled);
    const formula = timeUnderLimits(ITEMS, meanLatencyMs(model.latency) * profile.timeScale, scaled);
    return {
      makespan,
      bound,
      formula,
      sameDraws: drawn !== undefined,
      ratio: makespan / bound,
      succeeded: final.succeeded,
      failed: final.failed,
      tooMany: await sandbox.tooMany(),
      clientCpu: (cpu.user + cpu.system) / 1000 / makespan,
      sandboxCpu,
    };
  } finally {
    await easel.close();
    await sandbox.close();
  }
}

async function measureNaive(profile: Profile) {
  const sandbox = await startVendor(profile.timeScale);
  try {
    const started = performance.now();
    const outcomes = await Promise.allSettled(Array.from({ length: ITEMS }, (_, i) => profile.naive(sandbox, i)));
    const makespan = performance.now() - started;
    return { makespan, tooMany: await sandbox.tooMany(), failed: outcomes.filter((o) => o.status === 'rejected').length };
  } finally {
    await sandbox.close();
  }
}

export async function benchMakespan(vendors = PROFILES.map((p) => p.vendor)): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  console.log(`batch makespan benchmark (one run, ${ITEMS} items per vendor, sandbox time-scaled)`);
  for (const profile of PROFILES.filter((p) => vendors.includes(p.vendor))) {
    const paced = await measureEasel(profile);
    const naive = process.env.BENCH_NAIVE === '0' ? undefined : await measureNaive(profile);
    figures[`${profile.vendor}Ratio`] = paced.ratio;
    console.log(
      `  ${profile.vendor.padEnd(9)} easel: ${(paced.makespan / 1000).toFixed(2)} s vs bound ${(paced.bound / 1000).toFixed(2)} s (ideal client ${paced.sameDraws ? "on this run's job durations" : 'simulated'}; closed form ${(paced.formula / 1000).toFixed(2)} s) → ratio ${paced.ratio.toFixed(3)} (target ≤ 1.05); ${paced.succeeded} done, ${paced.failed} failed, ${paced.tooMany} 429s; CPU: easel ${(paced.clientCpu * 100).toFixed(0)}%, sandbox ${(paced.sandboxCpu * 100).toFixed(0)}% of a core`,
    );
    if (naive) console.log(`  ${''.padEnd(9)} naive: ${(naive.makespan / 1000).toFixed(2)} s, ${naive.tooMany} 429s, ${naive.failed} of ${ITEMS} items failed`);
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`)
  await benchMakespan(process.argv.slice(2).length ? (process.argv.slice(2) as Profile['vendor'][]) : undefined);
