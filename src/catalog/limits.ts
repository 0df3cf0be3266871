/** Vendor-wide rate limits: the guide's uptime table, with the vendor's own figures where stricter. */
import type { ProviderId } from '../core/task.js';
import { GUIDE } from './sources.js';
import type { ProviderLimits } from './types.js';

export const PROVIDER_LIMITS: Record<Exclude<ProviderId, 'local'>, ProviderLimits> = {
  openai: { requestsPerMinute: 100, source: { ...GUIDE, note: '100 req/min (Pro)' } },
  stability: {
    requestsPerMinute: 200,
    burst: { requests: 150, windowMs: 10_000, lockoutMs: 60_000 },
    source: { ...GUIDE, note: '200 req/min (Pro); vendor spec: 150 requests per 10 s, then a 60 s timeout' },
  },
  replicate: { concurrent: 1000, requestsPerMinute: 600, source: { ...GUIDE, note: '1000 concurrent; vendor docs: create predictions 600 req/min' } },
  fal: { concurrent: 100, source: { ...GUIDE, note: '100 concurrent (Pro)' } },
};
