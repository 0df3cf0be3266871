/** What a batch sets for every item, shared by the run and its dry run so both resolve items alike. */
import type { ImageRequest } from '../core/request.js';
import type { RoutingPolicy } from '../core/policy.js';

/** Most items in flight at once, over all vendors, unless the batch says otherwise. */
export const DEFAULT_CONCURRENCY = 64;

/** What a batch sets for every item; an item's own fields win. */
export interface BatchDefaults {
  model?: string;
  policy?: RoutingPolicy;
}

/** An item's request as the batch runs it: its own model and policy over the batch's. */
export function batchItemRequest(request: ImageRequest, defaults: BatchDefaults): ImageRequest {
  return { ...request, model: request.model ?? defaults.model, policy: { ...(defaults.policy ?? {}), ...(request.policy ?? {}) } };
}
