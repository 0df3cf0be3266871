/**
 * Per-key model allow-lists and budgets. A key with a budget pays by the router's one reservation
 * rule: before every vendor attempt (primary, retry, fallback, hedge backup) the attempt's worst
 * case is reserved in the key store, and afterwards settled with what the vendor charged.
 */
import type { ImageRequest } from '../../core/request.js';
import type { Reservation, ReserveHook } from '../../router/reservation.js';
import type { GatewayDeps } from '../context.js';
import { GatewayError, KeyQuotaError } from '../../http/errors.js';
import type { GatewayKey } from './keys.js';

/** The request as the key may run it: `auto` narrowed to its models, another model refused (403). */
export function allowedRequest(key: GatewayKey | undefined, request: ImageRequest): ImageRequest {
  if (!key?.allowedModels) return request;
  const model = request.model;
  // `auto` for a restricted key routes among its models only.
  if (model === undefined || model === 'auto')
    return { ...request, model: 'auto', policy: { ...request.policy, targets: { fallback: key.allowedModels.map((m) => ({ model: m })) } } };
  if (!key.allowedModels.includes(model)) {
    throw new GatewayError(403, `This key may not use ${model}; it may use: ${key.allowedModels.join(', ')}.`, { code: 'model_not_allowed', param: 'model' });
  }
  return request;
}

/**
 * Reserves `worstCaseUsd` from the key's budget now, or throws KeyQuotaError (402). The gateway does
 * not wait for other requests to settle, unlike a batch: an HTTP client holding a connection open
 * for money that may never free up is worse than a prompt 402 it can retry.
 */
export function reserveFromKey(deps: GatewayDeps, key: GatewayKey, worstCaseUsd: number | null, model: string): Reservation {
  if (worstCaseUsd === null) throw new KeyQuotaError(`This key has a budget, and ${model} has no known price.`, 'price_unknown', model);
  if (!deps.keys.reserve(key.id, worstCaseUsd)) {
    const now = deps.keys.get(key.id) ?? key;
    throw new KeyQuotaError(
      `This key's budget of $${key.budgetUsd} would be passed by ${model} (up to $${worstCaseUsd}; $${now.spentUsd} spent).`,
      'insufficient_quota',
      model,
    );
  }
  // Settled or released exactly once, whoever calls first (the vendor's answer, a hang-up, an error).
  let open = true;
  const close = (spentUsd: number) => {
    if (!open) return;
    open = false;
    deps.keys.settle(key.id, worstCaseUsd, spentUsd);
  };
  return {
    // An unknown figure is booked at the worst case: the key's spend may be too high, never too low.
    settle: (actualUsd) => close(actualUsd ?? worstCaseUsd),
    release: () => close(0),
  };
}

/** The router's reservation hook for a key with a budget; undefined (nothing planned or reserved) otherwise. */
export function keyBudgetHook(deps: GatewayDeps, key: GatewayKey | undefined): ReserveHook | undefined {
  if (!key || key.budgetUsd === null) return undefined;
  return async (attempt) => reserveFromKey(deps, key, attempt.worstCaseUsd, attempt.model);
}
