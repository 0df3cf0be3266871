/**
 * Must survive anything, on every vendor surface: a batch of 100 items whose process is SIGKILLed at
 * five random moments (each after a random number of new charges, so every kill lands mid-run) and
 * resumed each time ends with every image, a consistent manifest, and — against the sandbox's ledger —
 * exactly one charge per item where the vendor's jobs can be found again (Replicate, FAL, Stability's
 * async upscale once its id is stored). On synchronous APIs (OpenAI, Stability's v2beta images) a
 * call cut off by a kill may have been charged: the extra charges are at most the calls marked on
 * their items, and those are at most the calls that were in flight.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../src/batch/sqlite-store.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { killBackgroundSandboxes, recordedSandbox } from '../helpers/background-sandbox.js';
import { CLI } from '../helpers/cli.js';

const ITEMS = 100;
const KILLS = 5;
const CONCURRENCY = 8;
let sandbox: Sandbox;

beforeAll(async () => {
  // Vendor latencies shrunk 100x: long enough that kills land mid-flight, short enough for CI.
  sandbox = await startSandbox({ timeScale: 0.01 });
});
const stateDirs: string[] = [];
afterAll(async () => {
  stateDirs.forEach(killBackgroundSandboxes);
  await sandbox.close();
});

/**
 * Where the vendor calls go: a separately started sandbox (EASEL_SANDBOX_URL), or — with no keys and
 * no URL — the CLI's default, a sandbox it starts in the background under the state folder.
 */
type Mode = 'separate sandbox' | 'default sandbox';
const ledgerUrl = (mode: Mode, dir: string): string | undefined => {
  if (mode === 'separate sandbox') return `${sandbox.urls.control}/ledger`;
  const record = recordedSandbox(join(dir, 'state'));
  return record && `${record.url}/_sandbox/ledger`;
};

interface Surface {
  name: string;
  model: string;
  vendor: string;
  /** Jobs can be found again after a kill: exactly one charge per item. */
  recoverable: boolean;
  items: (dir: string) => Promise<string>;
}

/** A prompt a line; with a size, as jsonl (smaller images keep the sandbox's drawing cheap). */
const prompts = (size?: string) => async (dir: string) => {
  const lines = Array.from({ length: ITEMS }, (_, i) => `crash test scene number ${i + 1}`);
  const file = join(dir, size ? 'prompts.jsonl' : 'prompts.txt');
  writeFileSync(file, (size ? lines.map((prompt) => JSON.stringify({ prompt, size })) : lines).join('\n'));
  return file;
};

const SURFACES: Surface[] = [
  { name: 'Replicate', model: 'replicate/black-forest-labs/flux-schnell', vendor: 'replicate', recoverable: true, items: prompts() },
  { name: 'FAL', model: 'fal/flux/schnell', vendor: 'fal', recoverable: true, items: prompts('512x512') },
  { name: 'OpenAI (synchronous)', model: 'openai/dall-e-2', vendor: 'openai', recoverable: false, items: prompts('256x256') },
  { name: 'Stability v2beta (synchronous)', model: 'stability/core', vendor: 'stability', recoverable: false, items: prompts() },
  {
    name: 'Stability async upscale',
    model: 'stability/upscale-creative',
    vendor: 'stability',
    // Its id is stored as soon as it is answered; a kill during the submit request itself cannot be
    // recovered (Stability lists no jobs), so those are marked like a synchronous call.
    recoverable: false,
    items: async (dir) => {
      const photos = join(dir, 'photos');
      mkdirSync(photos);
      const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 90, g: 140, b: 200 } } })
        .png()
        .toBuffer();
      const lines = Array.from({ length: ITEMS }, (_, i) => {
        const path = join(photos, `photo-${i + 1}.png`);
        writeFileSync(path, png);
        return JSON.stringify({ task: 'upscale', image: path, prompt: `a photo ${i + 1}`, model: 'stability/upscale-creative' });
      });
      const file = join(dir, 'upscales.jsonl');
      writeFileSync(file, lines.join('\n'));
      return file;
    },
  },
];

function runBatch(mode: Mode, dir: string, file: string, model: string): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  let output = '';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EASEL_SANDBOX_URL: sandbox.url,
    OPENAI_API_KEY: '',
    REPLICATE_API_TOKEN: '',
    STABILITY_API_KEY: '',
    FAL_KEY: '',
    EASEL_CONFIG: '',
  };
  if (mode === 'default sandbox') delete env.EASEL_SANDBOX_URL;
  const child = spawn(
    process.execPath,
    [
      ...CLI,
      'batch',
      file,
      '--out',
      join(dir, 'out'),
      '--state',
      join(dir, 'state'),
      '--model',
      model,
      '--concurrency',
      String(CONCURRENCY),
      '--config',
      join(dir, 'easel.config.json'),
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** The charges for one surface's model (surfaces run side by side, some on one sandbox). */
async function charges(mode: Mode, dir: string, model: string): Promise<{ requestId: string; model: string; promptSha256?: string }[]> {
  const url = ledgerUrl(mode, dir);
  if (!url) return [];
  const ledger = (await (await fetch(url)).json()) as { charges: { requestId: string; model: string; promptSha256?: string }[] };
  return ledger.charges.filter((c) => c.model === model);
}

/** Kills the run once `after` new charges have landed (checked every few ms), unless it ends first. */
async function killAfterCharges(mode: Mode, dir: string, run: ReturnType<typeof runBatch>, model: string, after: number): Promise<boolean> {
  const start = (await charges(mode, dir, model)).length;
  let ended = false;
  void run.exited.then(() => (ended = true));
  while (!ended) {
    if ((await charges(mode, dir, model).catch(() => [])).length - start >= after) {
      run.child.kill('SIGKILL');
      await run.exited;
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return false;
}

// Side by side: each surface has its own folders and counts only its own model's charges.
describe.concurrent('batch crash safety on every vendor surface', () => {
  for (const [mode, surface] of (['separate sandbox', 'default sandbox'] as const).flatMap((m) => SURFACES.map((s) => [m, s] as const))) {
    it(
      `${surface.name}, ${mode}: ${ITEMS} items, ${KILLS} SIGKILLs, every image, one charge per item${surface.recoverable ? '' : ' (extra charges marked)'}`,
      { timeout: 240_000 },
      async ({ expect }) => {
        const dir = mkdtempSync(join(tmpdir(), 'easel-crash-'));
        stateDirs.push(join(dir, 'state'));
        const file = await surface.items(dir);
        // Client pacing generous enough for a time-scaled sandbox (its windows shrink with the scale).
        writeFileSync(
          join(dir, 'easel.config.json'),
          JSON.stringify({ pollIntervalMs: 10, sandbox: { timeScale: 0.01 }, limits: { [surface.vendor]: { requestsPerMinute: 6000, concurrent: 1000 } } }),
        );
        const before = await charges(mode, dir, surface.model);
        const kills: number[] = [];
        for (let k = 0; k < KILLS; k++) {
          const after = 3 + Math.floor(Math.random() * 15);
          if (await killAfterCharges(mode, dir, runBatch(mode, dir, file, surface.model), surface.model, after)) kills.push(after);
        }
        const last = runBatch(mode, dir, file, surface.model);
        const code = await last.exited;
        expect(code, last.output()).toBe(0);

        const out = join(dir, 'out');
        const images = readdirSync(out).filter((f) => f.endsWith('.png'));
        expect(images).toHaveLength(ITEMS);
        const manifest = readFileSync(join(out, 'manifest.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { file: string; sha256: string; vendorRequestId: string | null });
        expect(manifest).toHaveLength(ITEMS);
        expect(new Set(manifest.map((m) => m.file)).size).toBe(ITEMS);
        for (const entry of manifest)
          expect(
            createHash('sha256')
              .update(readFileSync(join(out, entry.file)))
              .digest('hex'),
          ).toBe(entry.sha256);

        const ledger = (await charges(mode, dir, surface.model)).slice(before.length);
        const charged = ledger.map((c) => c.requestId);
        const store = new SqliteJobStore(join(dir, 'state', 'jobs.db'));
        const job = (await store.listJobs())[0]!;
        const items = await store.items(job.id);
        const marked = items.reduce((sum, i) => sum + i.possibleDuplicates, 0);
        await store.close();
        // Which item each charge belongs to (the ledger keeps a fingerprint of the prompt).
        const chargesPerItem = new Map<string, number>();
        for (const c of ledger) chargesPerItem.set(c.promptSha256!, (chargesPerItem.get(c.promptSha256!) ?? 0) + 1);
        const unmarkedExtra = items.filter(
          (i) => (chargesPerItem.get(createHash('sha256').update(i.request.prompt!).digest('hex')) ?? 0) - 1 > i.possibleDuplicates,
        );
        const report = `${surface.name}, ${mode}: ${ITEMS} items, ${kills.length} kills (after ${kills.join(', ')} charges), ${charged.length} charges, ${marked} marked`;
        console.log(report);
        expect(kills.length, report).toBe(KILLS);
        expect(new Set(charged).size, report).toBe(charged.length);
        if (surface.recoverable) {
          expect(charged, report).toHaveLength(ITEMS);
          expect(marked, report).toBe(0);
          expect(chargesPerItem.size, report).toBe(ITEMS);
          expect(new Set(manifest.map((m) => m.vendorRequestId))).toEqual(new Set(charged));
        } else {
          // Every extra charge is marked on its own item; nothing is marked beyond the calls in flight at the kills.
          expect(
            unmarkedExtra.map((i) => i.line),
            report,
          ).toEqual([]);
          expect(charged.length - ITEMS, report).toBeLessThanOrEqual(marked);
          expect(marked, report).toBeLessThanOrEqual(CONCURRENCY * kills.length);
        }
      },
    );
  }
});
