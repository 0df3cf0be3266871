/**
 * What a crashed run left behind, read back before the next run submits anything: calls cut off on
 * vendors whose jobs cannot be found again (booked as possibly paid), and what each interrupted item
 * resumes (its stored vendor ids, or a search for the job a cut-off submit may have bought).
 */
import type { ImageRequest } from '../core/request.js';
import { PROVIDERS, type RemoteProviderId } from '../providers/registry.js';
import type { ImageProvider } from '../providers/types.js';
import type { RunHooks } from '../router/hooks.js';
import { worstCaseUsd } from '../router/reservation.js';
import { batchItemRequest } from './item-request.js';
import type { ItemOptions } from './run-context.js';
import type { Item, Job } from './types.js';

/** How far a vendor's clock may run behind ours when matching orphaned jobs by creation time. */
const CLOCK_SKEW_MS = 60_000;

/**
 * A crash while a call was in flight on a vendor whose jobs cannot be found again (no listing: the
 * synchronous APIs, Stability's async submit) leaves a write-ahead intent and no vendor id: the vendor
 * may have charged for images that never arrived. Each is booked at the call's worst case and the item
 * marked, so budgets hold and reports say what may have been paid twice.
 */
export async function countCutOffCalls(job: Job, options: ItemOptions): Promise<void> {
  const { easel, store } = options;
  for (const item of await store.items(job.id, ['pending', 'submitted'])) {
    if (!item.intent || item.parked) continue;
    const provider = PROVIDERS[item.intent.model.split('/')[0] as RemoteProviderId] as ImageProvider | undefined;
    // Local models cost nothing; vendors that list their jobs have the orphan found on resume.
    if (!provider || provider.findSubmitted) continue;
    if (item.submissions.some((s) => s.model === item.intent!.model)) continue;
    const own = batchItemRequest(item.request, options);
    const request: ImageRequest = { ...own, model: item.intent.model, policy: { ...own.policy, fallback: false } };
    const candidate = (await easel.route(request, { readImage: options.readImage }).catch(() => undefined))?.ranked[0];
    // One call of the model was in flight (the intent is per call): its worst case, by the rule budgets use.
    const worst = candidate ? worstCaseUsd(candidate.model, candidate.calls.slice(0, 1)) : null;
    await store.markPossibleDuplicate(item.jobId, item.index, worst ?? 0);
  }
}

/**
 * What an interrupted item picks up: its stored vendor ids, and — when a submit was under way as the
 * process died — permission to look for the orphaned vendor job instead of paying for another.
 */
export function resumeFor(item: Item, taken: Set<string>): RunHooks['resume'] {
  const model = item.model ?? item.intent?.model;
  if (!model || (item.submissions.length === 0 && !item.intent)) return undefined;
  const ids = new Map(item.submissions.filter((s) => s.model === model).map((s) => [s.call, s.vendorRequestId]));
  return { model, ids, orphans: item.intent ? { sinceMs: item.intent.at - CLOCK_SKEW_MS, taken } : undefined };
}
