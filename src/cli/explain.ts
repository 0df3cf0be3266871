/** Prints a routing decision: what was required, every candidate with its cost and why it ranked or was dropped. */
import type { RouteDecision } from '../core/result.js';
import type { RoutePlan } from '../router/plan.js';

type Decision = Pick<RouteDecision, 'objective' | 'requirements' | 'candidates'> & { chosen?: string; tried?: string[]; cancelled?: string[] };

export function printDecision(decision: Decision | RoutePlan, out: (line: string) => void = console.log): void {
  out(`objective  ${decision.objective}`);
  for (const r of decision.requirements) out(`requires   ${r.capability} (${r.source === 'prompt' ? (r.evidence ?? 'from the prompt') : 'policy'})`);
  out(`chosen     ${decision.chosen ?? '(none)'}`);
  if ('tried' in decision && decision.tried && decision.tried.length > 1) out(`tried      ${decision.tried.join(' → ')}`);
  if ('cancelled' in decision && decision.cancelled?.length) out(`cancelled  ${decision.cancelled.join(', ')} (hedge lost)`);
  out('candidates');
  for (const c of decision.candidates) {
    const cost = c.estimatedCostUsd === null ? 'unknown' : `$${c.estimatedCostUsd.toFixed(4)}`;
    const place = c.rank !== undefined ? `#${c.rank}` : '--';
    out(
      `  ${place.padEnd(4)}${c.model.padEnd(44)}${cost.padStart(10)}  ${c.rejectedBecause ? `dropped: ${c.rejectedBecause}` : `p50 ${(c.estimatedLatencyMs / 1000).toFixed(1)}s`}`,
    );
  }
}

/** `{ chosen, candidates: [{ model, estimatedCostUsd, score, rejectedBecause }] }`, the shape `--json` promises. */
export function decisionJson(decision: Decision | RoutePlan): Record<string, unknown> {
  return {
    chosen: decision.chosen ?? null,
    objective: decision.objective,
    requirements: decision.requirements,
    candidates: decision.candidates.map((c) => ({
      model: c.model,
      estimatedCostUsd: c.estimatedCostUsd,
      score: c.score,
      rank: c.rank ?? null,
      rejectedBecause: c.rejectedBecause ?? null,
    })),
  };
}
