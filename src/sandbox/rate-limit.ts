/**
 * The vendors' published limits, enforced the way each vendor does: requests per minute (sliding
 * window), concurrent requests, and Stability's "150 requests per 10 s, then locked out for 60 s".
 * All windows are multiplied by the sandbox time scale.
 */
import type { Vendor } from './ledger.js';

export interface VendorLimits {
  requestsPerMinute?: number;
  concurrent?: number;
  burst?: { requests: number; windowMs: number; lockoutMs: number };
}

/** The per-minute window as one request left it (OpenAI reports it in `x-ratelimit-*` headers). */
export interface RequestWindow {
  limit: number;
  remaining: number;
  resetMs: number;
}

export type LimitVerdict =
  { ok: true; window?: RequestWindow } | { ok: false; reason: 'rpm' | 'concurrent' | 'burst' | 'lockout'; retryAfterMs: number; limit: number };

export class RateLimiter {
  private readonly stamps = new Map<Vendor, number[]>();
  private readonly burstStamps = new Map<Vendor, number[]>();
  private readonly lockedUntil = new Map<Vendor, number>();
  private readonly inFlight = new Map<Vendor, number>();

  constructor(
    private limits: Partial<Record<Vendor, VendorLimits>>,
    private readonly timeScale: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  setLimits(limits: Partial<Record<Vendor, VendorLimits>>): void {
    this.limits = { ...this.limits, ...limits };
  }

  limitsFor(vendor: Vendor): VendorLimits {
    return this.limits[vendor] ?? {};
  }

  /** Counts one request against the per-minute and burst windows. */
  checkRequest(vendor: Vendor): LimitVerdict {
    const limits = this.limits[vendor] ?? {};
    const now = this.now();
    const scale = this.timeScale();
    const locked = this.lockedUntil.get(vendor) ?? 0;
    if (locked > now) return { ok: false, reason: 'lockout', retryAfterMs: locked - now, limit: limits.burst?.requests ?? 0 };
    if (limits.burst) {
      const windowMs = limits.burst.windowMs * scale;
      const stamps = prune(this.burstStamps, vendor, now - windowMs);
      if (stamps.length >= limits.burst.requests) {
        const lockout = limits.burst.lockoutMs * scale;
        this.lockedUntil.set(vendor, now + lockout);
        return { ok: false, reason: 'burst', retryAfterMs: lockout, limit: limits.burst.requests };
      }
      stamps.push(now);
    }
    if (limits.requestsPerMinute) {
      const windowMs = 60_000 * scale;
      const stamps = prune(this.stamps, vendor, now - windowMs);
      if (stamps.length >= limits.requestsPerMinute) {
        return { ok: false, reason: 'rpm', retryAfterMs: Math.max(1, stamps[0]! + windowMs - now), limit: limits.requestsPerMinute };
      }
      stamps.push(now);
      // Taken now, as this request was counted: a slow answer must not report a window that has moved on.
      return {
        ok: true,
        window: {
          limit: limits.requestsPerMinute,
          remaining: Math.max(0, limits.requestsPerMinute - stamps.length),
          resetMs: Math.max(0, stamps[0]! + windowMs - now),
        },
      };
    }
    return { ok: true };
  }

  /** Takes a concurrency slot; returns a release function, or a verdict when none is free. */
  acquire(vendor: Vendor): { release: () => void } | Extract<LimitVerdict, { ok: false }> {
    const limit = this.limits[vendor]?.concurrent;
    const current = this.inFlight.get(vendor) ?? 0;
    if (limit !== undefined && current >= limit) {
      return { ok: false, reason: 'concurrent', retryAfterMs: Math.max(1, 1000 * this.timeScale()), limit };
    }
    this.inFlight.set(vendor, current + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.inFlight.set(vendor, (this.inFlight.get(vendor) ?? 1) - 1);
      },
    };
  }

  inFlightCount(vendor: Vendor): number {
    return this.inFlight.get(vendor) ?? 0;
  }

  reset(): void {
    this.stamps.clear();
    this.burstStamps.clear();
    this.lockedUntil.clear();
    this.inFlight.clear();
  }
}

function prune(map: Map<Vendor, number[]>, vendor: Vendor, cutoff: number): number[] {
  const stamps = (map.get(vendor) ?? []).filter((t) => t > cutoff);
  map.set(vendor, stamps);
  return stamps;
}
