/** easel's configuration: a JSON file validated by zod, merged with the vendors' usual env variables. */
import { z } from 'zod';
import { RoutingPolicySchema } from '../core/policy.js';
import { CatalogOverridesSchema } from '../catalog/overrides.js';

const VendorSchema = z
  .object({
    apiKey: z.string().min(1).optional(),
    /** Base URL of the vendor API (an OpenAI-compatible host, a proxy, a sandbox). */
    baseUrl: z.string().url().optional(),
  })
  .strict();

export const EaselConfigSchema = z
  .object({
    providers: z
      .object({
        openai: VendorSchema.optional(),
        stability: VendorSchema.optional(),
        replicate: VendorSchema.optional(),
        /** FAL has two hosts: the queue (`baseUrl`) and the synchronous one (`runUrl`). */
        fal: VendorSchema.extend({ runUrl: z.string().url().optional() }).strict().optional(),
      })
      .strict()
      .optional(),
    /** Folder for easel's state: the result cache and the batch job store. Unset: no cache. */
    stateDir: z.string().min(1).optional(),
    /** Send every vendor to a running sandbox (same as EASEL_SANDBOX_URL). */
    sandboxUrl: z.string().url().optional(),
    /** Model used when a request names none (default `auto`: the router chooses). */
    defaultModel: z.string().min(1).optional(),
    /** Your account's own prices, latencies and ratings, by model id, laid over the catalog. */
    catalog: CatalogOverridesSchema.optional(),
    /** Default routing policy, merged under each request's own. */
    policy: RoutingPolicySchema.optional(),
    /** Per-vendor pacing for batches (requests per minute, concurrent requests); default the guide's table. */
    limits: z
      .partialRecord(
        z.enum(['openai', 'stability', 'replicate', 'fal', 'local']),
        z.object({ requestsPerMinute: z.number().positive().optional(), concurrent: z.number().int().positive().optional() }).strict(),
      )
      .optional(),
    /** Circuit breakers and backoff. */
    resilience: z
      .object({
        breakerThreshold: z.number().int().positive().optional(),
        halfOpenAfterMs: z.number().int().positive().optional(),
        initialBackoffMs: z.number().int().positive().optional(),
        maxBackoffMs: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    /** Per-attempt timeout (ms), waits and polls included. */
    timeoutMs: z.number().int().positive().optional(),
    pollIntervalMs: z.number().int().positive().optional(),
    /** The built-in sandbox used when a vendor has no key (in-process, or the CLI's background one). */
    sandbox: z
      .object({
        /** Multiplies the vendors' latencies; 0.05 (the default) turns an 11 s DALL-E call into about half a second. */
        timeScale: z.number().min(0).max(10).optional(),
        /** The background sandbox stops after this long without requests or running jobs (default 30 minutes). */
        idleTimeoutMs: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type EaselConfig = z.input<typeof EaselConfigSchema>;
