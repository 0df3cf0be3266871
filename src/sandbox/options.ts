/** Sandbox options, validated with zod so a bad `--faults` file gets a clear error. */
import { z } from 'zod';
import { FaultProfileSchema } from './faults.js';
import type { VendorLimits } from './rate-limit.js';
import type { Vendor } from './ledger.js';

const LimitsSchema = z
  .object({
    requestsPerMinute: z.number().int().positive().optional(),
    concurrent: z.number().int().positive().optional(),
    burst: z
      .object({ requests: z.number().int().positive(), windowMs: z.number().positive(), lockoutMs: z.number().min(0) })
      .strict()
      .optional(),
  })
  .strict();
const VendorSchema = z.enum(['openai', 'stability', 'replicate', 'fal']);

export const SandboxOptionsSchema = z
  .object({
    port: z.number().int().min(0).max(65535).default(0),
    host: z.string().default('127.0.0.1'),
    /** Multiplies every latency, window and Retry-After: 0.001 makes an 8 s call take 8 ms. */
    timeScale: z.number().min(0).max(100).default(1),
    faults: FaultProfileSchema.optional(),
    limits: z.partialRecord(VendorSchema, LimitsSchema).optional(),
    /** A fixed key per vendor; requests with another key get the vendor's 401. */
    fixedKeys: z.partialRecord(VendorSchema, z.string().min(1)).optional(),
    /** URL the sandbox is reachable at, when not its listening address (used in URLs it hands out). */
    publicUrl: z.string().url().optional(),
    /** Seeded noise (0–255) drawn over placeholders so they compress like photos (memory benchmarks). */
    grain: z.number().min(0).max(255).optional(),
    /** Seed for every request that gives none (benchmarks); default a random one, as vendors do. */
    fixedSeed: z.number().int().min(0).max(4_294_967_294).optional(),
    /** Replicate cold starts: extra delay (ms, before scaling) and how often. */
    coldStart: z
      .object({ ms: z.number().min(0), rate: z.number().min(0).max(1) })
      .strict()
      .optional(),
    /**
     * Bytes of output files and finished vendor jobs kept in memory (default 256 MiB); when full the
     * oldest are dropped first and the vendor's "not found" answers for them. The ledger is never dropped.
     */
    memoryBudgetBytes: z.number().int().positive().optional(),
    /**
     * Requests kept in the request log (`GET /_sandbox/requests`): the newest this many (default
     * 10,000), dropped oldest first a tenth at a time, so the log holds at most a tenth more.
     */
    requestLogSize: z.number().int().positive().optional(),
  })
  .strict();
export type SandboxOptions = z.input<typeof SandboxOptionsSchema>;

/** The guide's rate-limit table, plus Stability's documented 150-per-10-s lockout. */
export const DEFAULT_LIMITS: Record<Vendor, VendorLimits> = {
  openai: { requestsPerMinute: 100 },
  stability: { requestsPerMinute: 200, burst: { requests: 150, windowMs: 10_000, lockoutMs: 60_000 } },
  // The guide's 1000 concurrent, and Replicate's documented 600 creates per minute.
  replicate: { concurrent: 1000, requestsPerMinute: 600 },
  fal: { concurrent: 100 },
};
