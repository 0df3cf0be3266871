/** Per-key model allow-lists and budgets around one images call. */
import type { ImageRequest } from '../../core/request.js';
import type { GatewayDeps } from '../context.js';
import { GatewayError } from '../errors.js';
import type { GatewayKey } from './keys.js';

export interface KeyReservation {
  usd: number;
}

export async function enforceKey(deps: GatewayDeps, key: GatewayKey | undefined, request: ImageRequest): Promise<{ request: ImageRequest; reservation: KeyReservation | undefined }> {
  if (!key) return { request, reservation: undefined };
  let allowed = request;
  if (key.allowedModels) {
    const model = request.model;
    if (model === undefined || model === 'auto') {
      // `auto` for a restricted key routes among its models only.
      allowed = { ...request, model: 'auto', policy: { ...request.policy, targets: { fallback: key.allowedModels.map((m) => ({ model: m })) } } };
    } else if (!key.allowedModels.includes(model)) {
      throw new GatewayError(403, `This key may not use ${model}; it may use: ${key.allowedModels.join(', ')}.`, 'invalid_request_error', 'model_not_allowed', 'model');
    }
  }
  if (key.budgetUsd === null) return { request: allowed, reservation: undefined };
  const plan = await deps.easel.route(allowed);
  const costs = plan.ranked.map((c) => c.report.estimatedCostUsd);
  if (costs.some((c) => c === null)) throw new GatewayError(402, 'This key has a budget, and the chosen model has no known price.', 'insufficient_quota', 'price_unknown', 'model');
  const usd = Math.max(...(costs as number[]));
  if (!deps.keys.reserve(key.id, usd)) {
    throw new GatewayError(402, `This key's budget of $${key.budgetUsd} would be passed ($${key.spentUsd} spent).`, 'insufficient_quota', 'insufficient_quota');
  }
  return { request: allowed, reservation: { usd } };
}

export function settleKey(deps: GatewayDeps, key: GatewayKey | undefined, reservation: KeyReservation | undefined, actualUsd: number): void {
  if (key && reservation) deps.keys.settle(key.id, reservation.usd, actualUsd);
}
