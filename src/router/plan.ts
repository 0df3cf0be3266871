/**
 * Chooses candidates for a request: filters the catalog (or the policy's targets) by task,
 * capability, price, latency and lifecycle, ranks them by the objective, and records why each
 * model was dropped or placed where it was.
 */
import { CATALOG, lookupModel } from '../catalog/index.js';
import { lifecycleAt, lifecycleWarning, retiredReason } from '../catalog/lifecycle.js';
import { costOf } from '../catalog/pricing.js';
import type { CatalogModel } from '../catalog/types.js';
import { EaselError, InvalidRequestError, UnsupportedCapabilityError } from '../core/errors.js';
import type { LoadedImage } from '../core/image.js';
import { type ParsedRequest, type ResolvedCalls, resolveCalls } from './resolve.js';
import type { Task } from '../core/task.js';
import { type Capability, hasCapability, RATING_SCORE } from './capabilities.js';
import type { Objective, ParsedPolicy, QualityCategory } from '../core/policy.js';
import { promptHints } from './prompt-hints.js';
import { flattenTargets } from './targets.js';

export interface Requirement {
  capability: Capability;
  source: 'policy' | 'prompt';
  evidence?: string;
}

export interface CandidateReport {
  model: string;
  /** Cost of the whole request on this model (USD); null when the price is unknown. */
  estimatedCostUsd: number | null;
  /** The model's typical (p50) latency, ms. */
  estimatedLatencyMs: number;
  /** The objective's measure: USD for cheapest, ms for fastest, rating 1–5 for quality. Null when rejected. */
  score: number | null;
  /** 1 = tried first. Absent when rejected. */
  rank?: number;
  rejectedBecause?: string;
}

export interface PlannedCandidate extends ResolvedCalls {
  model: CatalogModel;
  report: CandidateReport;
}

export interface RoutePlan {
  objective: Objective;
  requirements: Requirement[];
  /** Ranked candidates first (in order), then the rejected ones. */
  candidates: CandidateReport[];
  ranked: PlannedCandidate[];
  /** The first-ranked model (what will be tried first). */
  chosen: string | undefined;
}

export interface PlanInput {
  request: ParsedRequest;
  task: Task;
  /** A concrete model id, or undefined / 'auto' to route. */
  model: string | undefined;
  policy: ParsedPolicy;
  inputs: { image: LoadedImage | undefined; mask: LoadedImage | undefined };
  /** Providers whose circuit breaker is open now. */
  isOpen?: (provider: string) => boolean;
  /** Why auto routing may not use a provider now (for example: no key while other vendors have one). */
  unavailable?: (provider: string) => string | undefined;
  catalog?: readonly CatalogModel[];
  random?: () => number;
  /** Today, for lifecycle dates (ms since the epoch; default Date.now()). */
  now?: number;
  /**
   * Whether `provider`'s calls go to a host that may still serve retired models (an OpenAI-compatible
   * host, the sandbox): there an explicitly named retired model runs with a warning instead of failing.
   */
  servesRetired?: (provider: string) => boolean;
}

export function planRoute(input: PlanInput): RoutePlan {
  const { request, task, policy } = input;
  const objective: Objective = policy.objective ?? 'cheapest';
  const requirements: Requirement[] = (policy.require ?? []).map((capability) => ({ capability, source: 'policy' }));
  if (policy.promptHints !== false && task === 'generate') {
    for (const hint of promptHints(request.prompt)) {
      if (!requirements.some((r) => r.capability === hint.capability))
        requirements.push({ capability: hint.capability, source: 'prompt', evidence: hint.evidence });
    }
  }
  if (task === 'edit' && input.inputs.mask && !requirements.some((r) => r.capability === 'inpainting')) {
    requirements.push({ capability: 'inpainting', source: 'prompt', evidence: 'the request has a mask' });
  }

  const explicit = input.model !== undefined && input.model !== 'auto' ? input.model : undefined;
  if (explicit) return singleModelPlan(explicit, input, objective, requirements);

  const now = input.now ?? Date.now();
  const fromTree = policy.targets !== undefined;
  const accepted: PlannedCandidate[] = [];
  const rejected: CandidateReport[] = [];
  const pool: CatalogModel[] = [];
  if (policy.targets) {
    for (const id of flattenTargets(policy.targets, request, task, input.random)) {
      const model = input.catalog?.find((m) => m.id === id) ?? lookupModel(id);
      if (model) pool.push(model);
      else rejected.push({ model: id, estimatedCostUsd: null, estimatedLatencyMs: 0, score: null, rejectedBecause: 'not a known model id' });
    }
  } else pool.push(...(input.catalog ?? CATALOG));
  for (const model of pool) {
    const report: CandidateReport = { model: model.id, estimatedCostUsd: null, estimatedLatencyMs: model.latency.p50Ms, score: null };
    const why = rejectReason(model, input, requirements, fromTree);
    if (why) {
      rejected.push({ ...report, rejectedBecause: why });
      continue;
    }
    let resolved: ResolvedCalls;
    try {
      resolved = resolveCalls(request, task, model, input.inputs);
    } catch (error) {
      rejected.push({ ...report, rejectedBecause: error instanceof EaselError ? error.message : String(error) });
      continue;
    }
    report.estimatedCostUsd = estimateCost(model, resolved);
    const perImage = report.estimatedCostUsd === null ? null : report.estimatedCostUsd / (request.n ?? 1);
    if (policy.maxPriceUsd !== undefined && (perImage === null || perImage > policy.maxPriceUsd)) {
      rejected.push({
        ...report,
        rejectedBecause:
          perImage === null ? 'price unknown and a max price is set' : `$${round(perImage)} per image is above the max of $${policy.maxPriceUsd}`,
      });
      continue;
    }
    if (policy.maxLatencyMs !== undefined && model.latency.p50Ms > policy.maxLatencyMs) {
      rejected.push({ ...report, rejectedBecause: `typical latency ${model.latency.p50Ms} ms is above the max of ${policy.maxLatencyMs} ms` });
      continue;
    }
    report.score = objectiveScore(model, report, objective);
    accepted.push({ model, report, ...datedWarnings(model, resolved, now) });
  }
  const ranked = fromTree ? accepted : rank(accepted, objective, policy.prefer ?? []);
  ranked.forEach((c, i) => (c.report.rank = i + 1));
  const candidates = [...ranked.map((c) => c.report), ...rejected];
  if (ranked.length === 0) {
    const reasons = rejected
      .slice(0, 6)
      .map((r) => `${r.model}: ${r.rejectedBecause}`)
      .join('; ');
    throw new UnsupportedCapabilityError(
      `no model can take this ${task} request${requirements.length ? ` (needs ${requirements.map((r) => r.capability).join(', ')})` : ''}: ${reasons}`,
      { field: 'model', allowed: 'see `easel route --explain`' },
    );
  }
  return { objective, requirements, candidates, ranked, chosen: ranked[0]?.model.id };
}

function singleModelPlan(id: string, input: PlanInput, objective: Objective, requirements: Requirement[]): RoutePlan {
  const model = input.catalog?.find((m) => m.id === id) ?? lookupModel(id);
  if (!model) throw unknownModelError(id);
  const now = input.now ?? Date.now();
  if (lifecycleAt(model, now).state === 'retired' && !input.servesRetired?.(model.provider)) {
    throw new InvalidRequestError(`${model.id} is ${retiredReason(model)}`, { model: model.id, provider: model.provider, field: 'model' });
  }
  const resolved = datedWarnings(model, resolveCalls(input.request, input.task, model, input.inputs), now);
  const missing = requirements.filter((r) => r.source === 'policy' && !hasCapability(model, r.capability));
  if (missing.length > 0) {
    throw new UnsupportedCapabilityError(`${model.id} lacks ${missing.map((r) => r.capability).join(', ')}, which the policy requires`, {
      model: model.id,
      provider: model.provider,
      field: 'model',
    });
  }
  const report: CandidateReport = {
    model: model.id,
    estimatedCostUsd: estimateCost(model, resolved),
    estimatedLatencyMs: model.latency.p50Ms,
    score: null,
    rank: 1,
  };
  report.score = objectiveScore(model, report, objective);
  // An explicitly chosen model is honoured; a prompt hint it does not meet becomes a warning.
  for (const r of requirements.filter((r) => r.source === 'prompt' && !hasCapability(model, r.capability))) {
    resolved.warnings.push({
      kind: 'other',
      model: model.id,
      message: `${model.id} is not rated for ${r.capability}, which ${r.evidence ?? 'the prompt'} suggests`,
    });
  }
  return { objective, requirements, candidates: [report], ranked: [{ model, report, ...resolved }], chosen: model.id };
}

function rejectReason(model: CatalogModel, input: PlanInput, requirements: Requirement[], fromTree: boolean): string | undefined {
  const { policy, task } = input;
  if (!model.tasks.includes(task)) return `cannot ${task}`;
  if (lifecycleAt(model, input.now ?? Date.now()).state === 'retired') return retiredReason(model);
  if (!fromTree && model.price.kind === 'unknown') return 'price unknown: auto routing only picks priced models';
  const avoided = (policy.avoid ?? []).find((a) => a === model.id || a === model.provider);
  if (avoided) return `avoided by the policy (${avoided})`;
  const missing = requirements.filter((r) => !hasCapability(model, r.capability));
  if (missing.length > 0) return `lacks ${missing.map((r) => `${r.capability}${r.evidence ? ` (${r.evidence})` : ''}`).join(', ')}`;
  const unavailable = input.unavailable?.(model.provider);
  if (unavailable) return unavailable;
  if (input.isOpen?.(model.provider)) return `${model.provider} circuit breaker is open after repeated failures`;
  return undefined;
}

/** The lifecycle warning as of today replaces the one written from the catalog's status alone. */
function datedWarnings(model: CatalogModel, resolved: ResolvedCalls, now: number): ResolvedCalls {
  const dated = lifecycleWarning(model, now);
  const warnings = resolved.warnings.filter((w) => w.kind !== 'deprecated');
  if (dated) warnings.push(dated);
  return { ...resolved, warnings };
}

function estimateCost(model: CatalogModel, resolved: ResolvedCalls): number | null {
  let total = 0;
  for (const call of resolved.calls) {
    const cost = costOf(model, { images: call.n, width: call.width, height: call.height, quality: call.quality });
    if (cost.usd === null) return null;
    total += cost.usd;
  }
  return round(total);
}

function objectiveScore(model: CatalogModel, report: CandidateReport, objective: Objective): number | null {
  if (objective === 'cheapest') return report.estimatedCostUsd;
  if (objective === 'fastest') return model.latency.p50Ms;
  const category = objective.slice('quality:'.length) as QualityCategory;
  const rating = model.ratings?.[category];
  return rating ? RATING_SCORE[rating] : 0;
}

/** Preferred models first (in the policy's order), then by objective; ties go to the cheaper, then the faster. */
function rank(candidates: PlannedCandidate[], objective: Objective, prefer: readonly string[]): PlannedCandidate[] {
  const preferIndex = (c: PlannedCandidate) => {
    const i = prefer.findIndex((p) => p === c.model.id || p === c.model.provider);
    return i === -1 ? Infinity : i;
  };
  const higherIsBetter = objective.startsWith('quality:');
  const cost = (c: PlannedCandidate) => c.report.estimatedCostUsd ?? Infinity;
  return [...candidates].sort((a, b) => {
    const pa = preferIndex(a);
    const pb = preferIndex(b);
    if (pa !== pb) return pa < pb ? -1 : 1;
    const sa = a.report.score ?? (higherIsBetter ? -Infinity : Infinity);
    const sb = b.report.score ?? (higherIsBetter ? -Infinity : Infinity);
    if (sa !== sb) return higherIsBetter ? sb - sa : sa - sb;
    return cost(a) - cost(b) || a.model.latency.p50Ms - b.model.latency.p50Ms;
  });
}

export function unknownModelError(id: string): InvalidRequestError {
  return new InvalidRequestError(
    `unknown model ${JSON.stringify(id)}: use a catalog id such as openai/gpt-image-1, stability/core, replicate/black-forest-labs/flux-schnell or fal/flux/dev (\`easel models\` lists them), or any replicate/<owner>/<name> or fal/<owner>/<app>`,
    { field: 'model' },
  );
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
