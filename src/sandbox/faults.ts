/**
 * Fault injection: by configured rates, and by deterministic triggers so a test can script an exact
 * sequence ("429, then 503, then success").
 *
 * Three ways to trigger a fault, checked in this order:
 *  1. a scripted step: `script: [{ vendor: 'openai', path: 'images/generations', steps: [429, 503, 'ok'] }]`
 *     — each matching request consumes the next step;
 *  2. the request header `x-sandbox-fault: 503` (or `429`, `hang`, `drop`, `malformed`, `moderation`);
 *  3. configured rates, drawn per submit request (`rates: { openai: { error5xx: 0.2 } }`).
 * A prompt containing `[sandbox:moderation]` is always refused by the vendor's safety system.
 */
import { z } from 'zod';
import type { Vendor } from './ledger.js';

const StatusStep = z.object({ status: z.number().int().min(400).max(599), retryAfterMs: z.number().min(0).optional() });
export const FaultStepSchema = z.union([
  z.literal('ok'),
  z.literal('hang'),
  z.literal('drop'),
  z.literal('malformed'),
  z.literal('moderation'),
  z.number().int().min(400).max(599),
  StatusStep,
]);
export type FaultStep = z.infer<typeof FaultStepSchema>;

const VendorSchema = z.enum(['openai', 'stability', 'replicate', 'fal']);

export const FaultRatesSchema = z
  .object({
    error5xx: z.number().min(0).max(1).default(0),
    rateLimit: z.number().min(0).max(1).default(0),
    hang: z.number().min(0).max(1).default(0),
    drop: z.number().min(0).max(1).default(0),
    malformed: z.number().min(0).max(1).default(0),
    moderation: z.number().min(0).max(1).default(0),
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
  })
  .strict();
export type FaultProfile = z.input<typeof FaultProfileSchema>;

export type FaultDecision =
  | { kind: 'status'; status: number; retryAfterMs?: number }
  | { kind: 'hang' }
  | { kind: 'drop' }
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

  constructor(profile: FaultProfile = {}, private readonly random: () => number = Math.random) {
    this.configure(profile);
  }

  configure(profile: FaultProfile): void {
    this.profile = FaultProfileSchema.parse(profile);
    this.scripts = (this.profile.script ?? []).map((s) => ({ ...s, steps: [...s.steps] }));
  }

  /** Adds to the current profile instead of replacing it (used by `POST /_sandbox/faults`). */
  merge(profile: FaultProfile): void {
    const parsed = FaultProfileSchema.parse(profile);
    this.profile = { ...this.profile, ...parsed, rates: { ...this.profile.rates, ...parsed.rates } };
    if (parsed.script) this.scripts.push(...parsed.script.map((s) => ({ ...s, steps: [...s.steps] })));
  }

  get retryAfterMs(): number {
    return this.profile.retryAfterMs ?? 1000;
  }

  get hangMs(): number {
    return this.profile.hangMs ?? 120_000;
  }

  decide(vendor: Vendor, method: string, path: string, header: string | undefined, submit: boolean): FaultDecision | undefined {
    const scripted = this.fromScript(vendor, method, path);
    const decision = scripted !== undefined ? fromStep(scripted) : header ? fromHeader(header) : submit ? this.fromRates(vendor) : undefined;
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

  private fromRates(vendor: Vendor): FaultDecision | undefined {
    const rates = this.profile.rates?.[vendor];
    if (!rates) return undefined;
    const draw = this.random();
    let edge = 0;
    const table: [number | undefined, FaultDecision][] = [
      [rates.error5xx, { kind: 'status', status: this.random() < 0.5 ? 500 : 503 }],
      [rates.rateLimit, { kind: 'status', status: 429 }],
      [rates.hang, { kind: 'hang' }],
      [rates.drop, { kind: 'drop' }],
      [rates.malformed, { kind: 'malformed' }],
      [rates.moderation, { kind: 'moderation' }],
    ];
    for (const [rate, decision] of table) {
      edge += rate ?? 0;
      if (draw < edge) return decision;
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
  if (trimmed === 'hang' || trimmed === 'drop' || trimmed === 'malformed' || trimmed === 'moderation') return { kind: trimmed };
  return undefined;
}
