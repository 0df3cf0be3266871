/**
 * Fault injection: by configured rates, and by deterministic triggers so a test can script an exact
 * sequence ("429, then 503, then success").
 *
 * Three ways to trigger a fault, checked in this order:
 *  1. a scripted step: `script: [{ vendor: 'openai', path: 'images/generations', steps: [429, 503, 'ok'] }]`
 *     — each matching request consumes the next step;
 *  2. the request header `x-sandbox-fault: 503` (or `429`, `hang`, `drop`, `lost`, `malformed`, `moderation`);
 *  3. configured rates per vendor, drawn per request: the top-level rates for submits
 *     (`rates: { openai: { error5xx: 0.2 } }`), and `poll`, `stream`, `result`, `download` for the
 *     requests that only read a job that exists (`rates: { fal: { poll: { error5xx: 0.1, drop: 0.05 } } }`).
 *     `seed` makes the draws repeatable (for one order of requests).
 * A prompt containing `[sandbox:moderation]` is always refused by the vendor's safety system.
 *
 * What each fault means for the job and the ledger (what the real vendor would bill):
 *  - a status (5xx, 429), `hang` and `drop` happen in front of the vendor's workers: the request never
 *    reaches them, so a submit creates no job and charges nothing (`hang` answers 504 after `hangMs`,
 *    `drop` resets the connection). A real vendor can also fail after taking a job: that is `lost`.
 *  - `lost` (submits only): the vendor takes the job — and bills it as usual — but the answer never
 *    arrives (the connection is reset once the handler is done): the case of a client killed mid-request.
 *  - on a read (poll, stream, result, download) no fault ever creates, changes or charges a job.
 */
import { z } from 'zod';
import type { Vendor } from './ledger.js';
import { seededRandom } from './random.js';

const StatusStep = z.object({ status: z.number().int().min(400).max(599), retryAfterMs: z.number().min(0).optional() });
export const FaultStepSchema = z.union([
  z.literal('ok'),
  z.literal('hang'),
  z.literal('drop'),
  z.literal('lost'),
  z.literal('malformed'),
  z.literal('moderation'),
  z.number().int().min(400).max(599),
  StatusStep,
]);
export type FaultStep = z.infer<typeof FaultStepSchema>;

const VendorSchema = z.enum(['openai', 'stability', 'replicate', 'fal']);

/** What a request does to a vendor job: a submit creates (and may bill) one; the others only read one. */
export type RequestKind = 'submit' | 'poll' | 'stream' | 'result' | 'download' | 'other';
const READ_KINDS = ['poll', 'stream', 'result', 'download'] as const;

const rate = () => z.number().min(0).max(1).default(0);

/** Faults on a request that reads a job: transient failures only (a read never changes the job). */
export const ReadFaultRatesSchema = z.object({ error5xx: rate(), rateLimit: rate(), hang: rate(), drop: rate() }).strict();

export const FaultRatesSchema = z
  .object({
    error5xx: rate(),
    rateLimit: rate(),
    hang: rate(),
    drop: rate(),
    lost: rate(),
    malformed: rate(),
    moderation: rate(),
    /** Status polls (Replicate `GET /predictions/{id}`, FAL `…/status`, Stability `GET /v2beta/results/{id}`). */
    poll: ReadFaultRatesSchema.partial().optional(),
    /** FAL's status stream (`…/status/stream`). */
    stream: ReadFaultRatesSchema.partial().optional(),
    /** FAL's result GET (`response_url`). */
    result: ReadFaultRatesSchema.partial().optional(),
    /** Output files served by URL (Replicate outputs, FAL `images[].url`, OpenAI `url` images). */
    download: ReadFaultRatesSchema.partial().optional(),
  })
  .strict();
export type FaultRates = z.output<typeof FaultRatesSchema>;

export const ScriptSchema = z
  .object({
    vendor: VendorSchema.optional(),
    /** Substring of the path (after the vendor prefix) a request must contain to consume a step. */
    path: z.string().optional(),
    method: z.enum(['GET', 'POST', 'PUT', 'DELETE']).optional(),
    steps: z.array(FaultStepSchema).min(1),
  })
  .strict();

export const FaultProfileSchema = z
  .object({
    rates: z.partialRecord(VendorSchema, FaultRatesSchema.partial()).optional(),
    script: z.array(ScriptSchema).optional(),
    /** Retry-After sent with injected 429s/503s, in ms before time scaling. Default 1000. */
    retryAfterMs: z.number().min(0).optional(),
    /** How long a hang lasts before the sandbox gives up (ms, before time scaling). Default 120000. */
    hangMs: z.number().min(0).optional(),
    /** Seed for the rate draws, so a run can be repeated; default unseeded. */
    seed: z.number().int().optional(),
  })
  .strict();
export type FaultProfile = z.input<typeof FaultProfileSchema>;

export type FaultDecision =
  | { kind: 'status'; status: number; retryAfterMs?: number }
  | { kind: 'hang' }
  | { kind: 'drop' }
  | { kind: 'lost' }
  | { kind: 'malformed' }
  | { kind: 'moderation' };

export const MODERATION_TRIGGER = '[sandbox:moderation]';

interface ScriptState {
  vendor?: Vendor;
  path?: string;
  method?: string;
  steps: FaultStep[];
}

export class FaultInjector {
  private profile: z.output<typeof FaultProfileSchema> = {};
  private scripts: ScriptState[] = [];
  /** Faults injected so far, by kind, for tests and benchmarks. */
  readonly injected = new Map<string, number>();

  private random: () => number;

  /** `random` is used when the profile has no seed. */
  constructor(
    profile: FaultProfile = {},
    private readonly unseeded: () => number = Math.random,
  ) {
    this.random = unseeded;
    this.configure(profile);
  }

  configure(profile: FaultProfile): void {
    this.profile = FaultProfileSchema.parse(profile);
    this.scripts = (this.profile.script ?? []).map((s) => ({ ...s, steps: [...s.steps] }));
    this.random = this.profile.seed === undefined ? this.unseeded : seededRandom(this.profile.seed);
  }

  /** Adds to the current profile instead of replacing it (used by `POST /_sandbox/faults`). */
  merge(profile: FaultProfile): void {
    const parsed = FaultProfileSchema.parse(profile);
    this.profile = { ...this.profile, ...parsed, rates: { ...this.profile.rates, ...parsed.rates } };
    if (parsed.script) this.scripts.push(...parsed.script.map((s) => ({ ...s, steps: [...s.steps] })));
    if (parsed.seed !== undefined) this.random = seededRandom(parsed.seed);
  }

  get retryAfterMs(): number {
    return this.profile.retryAfterMs ?? 1000;
  }

  get hangMs(): number {
    return this.profile.hangMs ?? 120_000;
  }

  decide(vendor: Vendor, method: string, path: string, header: string | undefined, kind: RequestKind): FaultDecision | undefined {
    const scripted = this.fromScript(vendor, method, path);
    const decision = scripted !== undefined ? fromStep(scripted) : header ? fromHeader(header) : this.fromRates(vendor, kind);
    if (decision) {
      const key = decision.kind === 'status' ? String(decision.status) : decision.kind;
      this.injected.set(key, (this.injected.get(key) ?? 0) + 1);
    }
    return decision;
  }

  private fromScript(vendor: Vendor, method: string, path: string): FaultStep | undefined {
    for (const script of this.scripts) {
      if (script.steps.length === 0) continue;
      if (script.vendor && script.vendor !== vendor) continue;
      if (script.method && script.method !== method) continue;
      if (script.path && !path.includes(script.path)) continue;
      return script.steps.shift();
    }
    return undefined;
  }

  private fromRates(vendor: Vendor, kind: RequestKind): FaultDecision | undefined {
    const vendorRates = this.profile.rates?.[vendor];
    const rates: Partial<FaultRates> | undefined =
      kind === 'submit' ? vendorRates : (READ_KINDS as readonly string[]).includes(kind) ? vendorRates?.[kind as (typeof READ_KINDS)[number]] : undefined;
    if (!rates) return undefined;
    const draw = this.random();
    let edge = 0;
    const table: [number | undefined, () => FaultDecision][] = [
      [rates.error5xx, () => ({ kind: 'status', status: this.random() < 0.5 ? 500 : 503 })],
      [rates.rateLimit, () => ({ kind: 'status', status: 429 })],
      [rates.hang, () => ({ kind: 'hang' })],
      [rates.drop, () => ({ kind: 'drop' })],
      [rates.lost, () => ({ kind: 'lost' })],
      [rates.malformed, () => ({ kind: 'malformed' })],
      [rates.moderation, () => ({ kind: 'moderation' })],
    ];
    for (const [rate, decision] of table) {
      edge += rate ?? 0;
      if (draw < edge) return decision();
    }
    return undefined;
  }
}

function fromStep(step: FaultStep): FaultDecision | undefined {
  if (step === 'ok') return undefined;
  if (typeof step === 'number') return { kind: 'status', status: step };
  if (typeof step === 'object') return { kind: 'status', status: step.status, retryAfterMs: step.retryAfterMs };
  return { kind: step };
}

function fromHeader(value: string): FaultDecision | undefined {
  const trimmed = value.trim().toLowerCase();
  if (/^\d{3}$/.test(trimmed)) return { kind: 'status', status: Number(trimmed) };
  if (trimmed === 'hang' || trimmed === 'drop' || trimmed === 'lost' || trimmed === 'malformed' || trimmed === 'moderation') return { kind: trimmed };
  return undefined;
}
