import { createHash } from 'node:crypto';

/** Every charge the real vendor would have made, so tests can prove "nothing paid twice". */
export type Vendor = 'openai' | 'stability' | 'replicate' | 'fal';
export const VENDORS: readonly Vendor[] = ['openai', 'stability', 'replicate', 'fal'];

export interface Charge {
  vendor: Vendor;
  /** easel catalog id when the model is in the catalog, else the vendor's model id. */
  model: string;
  requestId: string;
  /** USD; null when the catalog has no price for the model (never reported as $0). */
  usd: number | null;
  /** Images billed by this charge. */
  images: number;
  /**
   * How long the vendor worked on the job (ms on the sandbox's time-scaled clock), where the vendor
   * runs jobs on its side (FAL): benchmarks compare a client with an ideal one on the same durations.
   */
  computeMs?: number;
  /**
   * sha256 of the request's prompt (never the prompt itself), so a test can tell which item a charge
   * belongs to — also for a charge whose answer never reached the client.
   */
  promptSha256?: string;
  at: string;
}

/** The `promptSha256` of a charge. */
export function promptFingerprint(prompt: unknown): string | undefined {
  return typeof prompt === 'string' ? createHash('sha256').update(prompt).digest('hex') : undefined;
}

export class Ledger {
  private charges: Charge[] = [];

  charge(entry: Omit<Charge, 'at'>): Charge {
    const charge = { ...entry, at: new Date().toISOString() };
    this.charges.push(charge);
    return charge;
  }

  list(): Charge[] {
    return [...this.charges];
  }

  totalUsd(): number {
    return round6(this.charges.reduce((sum, c) => sum + (c.usd ?? 0), 0));
  }

  reset(): void {
    this.charges = [];
  }

  toJSON(): { charges: Charge[]; totalUsd: number; unpriced: number } {
    return { charges: this.list(), totalUsd: this.totalUsd(), unpriced: this.charges.filter((c) => c.usd === null).length };
  }
}

export function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
