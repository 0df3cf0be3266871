/**
 * Where webhook signatures are checked against: Replicate's signing secret comes from its API (one
 * per account), FAL's public keys from its JWKS. Both are fetched from wherever easel sends that
 * vendor's calls (the sandbox serves its own).
 */
import type { VendorEndpoint } from '../config/endpoints.js';
import { fetchJwks, type FetchJwksOptions } from './jwks.js';
import type { WebhookOptions } from './routes.js';

/** Where a vendor's calls go (easel's `endpoint`): the signing keys come from the same place. */
export interface WebhookVendors {
  endpoint(provider: 'replicate' | 'fal'): Promise<VendorEndpoint>;
}

/** `jwks`: how FAL's keys are fetched and refreshed (default: real fetch and clock, refreshes at most every 5 min). */
export function vendorWebhookKeys(
  vendors: WebhookVendors,
  options: { jwks?: Pick<FetchJwksOptions, 'fetch' | 'now' | 'refreshIntervalMs'> } = {},
): Pick<WebhookOptions, 'replicateSecret' | 'falJwks'> {
  let secret: Promise<string> | undefined;
  return {
    replicateSecret: () =>
      (secret ??= vendors
        .endpoint('replicate')
        .then(async (e) => {
          const response = await fetch(`${e.baseUrl}/webhooks/default/secret`, { headers: { authorization: `Bearer ${e.apiKey()}` } });
          if (!response.ok) throw new Error(`replicate: the webhook signing secret could not be read (HTTP ${response.status})`);
          return ((await response.json()) as { key: string }).key;
        })
        .catch((error: unknown) => {
          secret = undefined; // a failed read is tried again on the next delivery
          throw error;
        })),
    // Cached for 24 h by fetchJwks, as FAL asks; refreshed early when a signature fails to verify,
    // at most once per refresh interval (forged deliveries ask for it too).
    falJwks: async (refresh = false) => {
      const e = await vendors.endpoint('fal');
      const url =
        e.target === 'vendor' ? 'https://rest.alpha.fal.ai/.well-known/jwks.json' : `${e.baseUrl.replace(/\/queue\/?$/, '')}/rest/.well-known/jwks.json`;
      return fetchJwks(url, { ...options.jwks, refresh });
    },
  };
}
