/**
 * A routing policy is data: requirements, limits, an objective, prefer/avoid lists, resilience
 * settings, and optionally a tree of targets (single, fallback, weighted, conditional).
 */
import { z } from 'zod';

/** Capabilities a policy can require; what each means for a model is the router's `hasCapability`. */
export const CAPABILITIES = ['text-rendering', 'inpainting', 'image-to-image', 'negative-prompt', 'seed', 'upscaling', 'variation'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export const QUALITY_CATEGORIES = ['promptAdherence', 'photorealism', 'textInImage'] as const;
export type QualityCategory = (typeof QUALITY_CATEGORIES)[number];

export const ObjectiveSchema = z.union([z.enum(['cheapest', 'fastest']), z.templateLiteral(['quality:', z.enum(QUALITY_CATEGORIES)])]);
export type Objective = z.infer<typeof ObjectiveSchema>;

const ConditionSchema = z
  .object({
    /** Request field to test: `task`, `prompt`, `size`, `aspectRatio`, `n`, `quality`, `style`, `outputFormat`, `seed`, `negativePrompt`, `mask`. */
    field: z.enum(['task', 'prompt', 'size', 'aspectRatio', 'n', 'quality', 'style', 'outputFormat', 'seed', 'negativePrompt', 'mask']),
    equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
    in: z.array(z.union([z.string(), z.number()])).optional(),
    /** Regular expression (case-insensitive) the field's text must match. */
    matches: z.string().optional(),
    exists: z.boolean().optional(),
    greaterThan: z.number().optional(),
  })
  .strict();
export type Condition = z.infer<typeof ConditionSchema>;

export type Target =
  { model: string } | { fallback: Target[] } | { weighted: { weight: number; target: Target }[] } | { when: Condition; then: Target; else?: Target };

export const TargetSchema: z.ZodType<Target> = z.lazy(() =>
  z.union([
    z.object({ model: z.string().min(1) }).strict(),
    z.object({ fallback: z.array(TargetSchema).min(1) }).strict(),
    z.object({ weighted: z.array(z.object({ weight: z.number().positive(), target: TargetSchema }).strict()).min(1) }).strict(),
    z.object({ when: ConditionSchema, then: TargetSchema, else: TargetSchema.optional() }).strict(),
  ]),
);

export const HedgeSchema = z
  .object({
    /** Start the backup once the primary has run this long (ms). Default: the primary's p95 from the catalog. */
    afterMs: z.number().min(0).optional(),
    /** Which percentile of the primary's latency profile starts the backup (default 95). */
    percentile: z.number().min(50).max(99.9).optional(),
  })
  .strict();

export const RoutingPolicySchema = z
  .object({
    require: z.array(z.enum(CAPABILITIES)).optional(),
    /** Most a single image may cost (USD); models with an unknown price are excluded when set. */
    maxPriceUsd: z.number().positive().optional(),
    /** Most a model's typical (p50) latency may be (ms). */
    maxLatencyMs: z.number().positive().optional(),
    objective: ObjectiveSchema.optional(),
    /** Model ids or providers to rank first, in this order. */
    prefer: z.array(z.string().min(1)).optional(),
    /** Model ids or providers never to use. */
    avoid: z.array(z.string().min(1)).optional(),
    /** Infer requirements from the prompt (quoted text ⇒ text rendering). Default true. */
    promptHints: z.boolean().optional(),
    /** Fall back down the ranked list on retryable failures. Default true. */
    fallback: z.boolean().optional(),
    /** Also fall back when a vendor's safety system refuses the request. Default false. */
    fallbackOnContentRejection: z.boolean().optional(),
    /** Retries per candidate on retryable failures (Retry-After honoured). Default 2. */
    retries: z.number().int().min(0).max(10).optional(),
    /** Hedge: start a backup request on the next candidate when the primary runs long; the loser is cancelled. */
    hedge: z.union([z.boolean(), HedgeSchema]).optional(),
    /** Explicit routing tree; when given, its models (in order) replace the ranked catalog. */
    targets: TargetSchema.optional(),
  })
  .strict();

export type RoutingPolicy = z.input<typeof RoutingPolicySchema>;
export type ParsedPolicy = z.output<typeof RoutingPolicySchema>;
