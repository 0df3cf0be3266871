/**
 * A run that died mid-submit leaves a write-ahead intent and no vendor id: the vendor may have taken
 * (and billed) the job. On vendors that list their jobs, the calls without a stored id look for it
 * *before* the attempt reserves money: a job found is paid for already and is held, not refused, by a
 * budget (refusing it would lose images the vendor bills anyway); only the calls that find nothing
 * may buy a new job, and those must fit the cap.
 */
import type { CatalogModel } from '../catalog/types.js';
import { LOCAL_PROVIDER, PROVIDERS, type RemoteProviderId } from '../providers/registry.js';
import type { ProviderCall } from '../providers/types.js';
import { type ExecuteOptions, runtimeBase } from './execute.js';

type SearchOptions = Pick<ExecuteOptions, 'endpoint' | 'fetch' | 'transport' | 'timeoutMs' | 'pollIntervalMs' | 'firstPollDelayMs' | 'clock'> & {
  signal: AbortSignal;
  orphans: { sinceMs: number; taken: Set<string> };
  /** Stores an adopted job's id for its call, as a submit's would be. */
  onSubmitted?: (call: number, vendorRequestId: string) => void | Promise<void>;
};

/**
 * Looks for the orphans of the calls at `indexes` that have no id in `known` (one search per call, in
 * order, so two calls never adopt the same job) and returns `known` with the ones found.
 */
export async function adoptOrphans(
  model: CatalogModel,
  calls: readonly ProviderCall[],
  indexes: readonly number[],
  known: ReadonlyMap<number, string>,
  options: SearchOptions,
): Promise<Map<number, string>> {
  const ids = new Map(known);
  const provider = model.provider === 'local' ? LOCAL_PROVIDER : PROVIDERS[model.provider as RemoteProviderId];
  if (!provider.findSubmitted || !provider.resume) return ids;
  const runtime = runtimeBase(options, options.signal);
  for (const index of indexes) {
    if (ids.has(index)) continue;
    const found = await provider.findSubmitted(calls[index]!, options.orphans.sinceMs, options.orphans.taken, runtime);
    if (found === undefined) continue;
    options.orphans.taken.add(found);
    ids.set(index, found);
    await options.onSubmitted?.(index, found);
  }
  return ids;
}
