/**
 * Where webhook signatures are checked against: Replicate's signing secret comes from its API (one
 * per account), FAL's public keys from its JWKS. Both are fetched from wherever easel sends that
 * vendor's calls (the sandbox serves its own).
 */
import type { Easel } from '../../easel.js';
import { fetchJwks } from './jwks.js';
import type { WebhookOptions } from './routes.js';

export function vendorWebhookKeys(easel: Easel): Pick<WebhookOptions, 'replicateSecret' | 'falJwks'> {
  let secret: Promise<string> | undefined;
  return {
    replicateSecret: () =>
      (secret ??= easel
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
    // Cached for 24 h by fetchJwks, as FAL asks; refreshed early when a signature fails to verify.
    falJwks: async (refresh = false) => {
      const e = await easel.endpoint('fal');
      const url = e.target === 'vendor' ? 'https://rest.alpha.fal.ai/.well-known/jwks.json' : `${e.baseUrl.replace(/\/queue\/?$/, '')}/rest/.well-known/jwks.json`;
      return fetchJwks(url, refresh ? { maxAgeMs: 0 } : {});
    },
  };
}

