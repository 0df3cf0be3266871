/**
 * FAL's webhook public keys (protocols.md 4.4): a JWKS fetched from FAL and cached per URL for at
 * most 24 h, as FAL asks. Concurrent callers share one fetch; a failed fetch is not cached.
 */
import { z } from 'zod';
import { ProviderUnavailableError } from '../../core/errors.js';
import { safeUrl } from '../../providers/http.js';

export interface Ed25519Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

/** What verifiers accept: any JWKS; keys other than Ed25519 are skipped. */
export interface Jwks {
  keys: readonly { kty: string; crv?: string; x?: string }[];
}

export interface FetchJwksOptions {
  fetch?: typeof fetch;
  /** Default 24 h. Pass 0 to force a refresh (e.g. after a signature fails with cached keys). */
  maxAgeMs?: number;
  now?: () => number;
}

const DAY_MS = 24 * 60 * 60_000;

// Other key types may appear in the set; only Ed25519 keys can verify FAL's signatures.
const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string(), crv: z.string().optional(), x: z.string().optional() })) });

const cache = new Map<string, { at: number; jwks: Promise<{ keys: Ed25519Jwk[] }> }>();

export async function fetchJwks(url: string, options: FetchJwksOptions = {}): Promise<{ keys: Ed25519Jwk[] }> {
  const now = (options.now ?? Date.now)();
  const cached = cache.get(url);
  if (cached && now - cached.at < (options.maxAgeMs ?? DAY_MS)) return cached.jwks;
  const jwks = download(url, options.fetch ?? fetch);
  cache.set(url, { at: now, jwks });
  jwks.catch(() => {
    if (cache.get(url)?.jwks === jwks) cache.delete(url);
  });
  return jwks;
}

async function download(url: string, fetcher: typeof fetch): Promise<{ keys: Ed25519Jwk[] }> {
  const fail = (why: string, cause?: unknown) => new ProviderUnavailableError(`fal: could not load the webhook JWKS from ${safeUrl(url)}: ${why}`, { provider: 'fal', cause });
  let body: unknown;
  try {
    const response = await fetcher(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw fail(`HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    throw error instanceof ProviderUnavailableError ? error : fail('network error or malformed JSON', error);
  }
  const parsed = jwksSchema.safeParse(body);
  if (!parsed.success) throw fail('not a JWKS ({ keys: [...] })');
  const keys = parsed.data.keys.filter((k): k is typeof k & Ed25519Jwk => k.kty === 'OKP' && k.crv === 'Ed25519' && typeof k.x === 'string');
  if (keys.length === 0) throw fail('it holds no Ed25519 key');
  return { keys: keys.map(({ kty, crv, x }) => ({ kty, crv, x })) };
}
