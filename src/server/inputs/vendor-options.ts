/**
 * `providerOptions` from gateway clients. They pass raw vendor input through, and some of it is
 * fetched by whoever runs the model: URLs in `replicate.input` / `fal.input` (the sandbox fetches
 * them from the gateway's own machine), and webhook URLs the vendor account calls. So a client may
 * not set webhooks (the gateway owns them: `--public-url`), and every URL anywhere in the options
 * must be one the image policy would fetch (http(s) to an allowed address, or a data URL). Such URLs
 * are checked, not fetched, here: whoever runs the model fetches them later, so a redirect or a DNS
 * change after the check is theirs to see (a real vendor's network; the sandbox's, in sandbox mode).
 */
import { InvalidRequestError } from '../../core/errors.js';
import type { ImageInputPolicy } from './policy.js';

/** Vendor options that name a URL the vendor account calls back. */
const WEBHOOK_FIELDS: Record<string, readonly string[]> = { replicate: ['webhook', 'webhook_events_filter'], fal: ['webhookUrl'] };
/** Text a runner might open as a URL: `scheme://…`, or `file:` in any form (plain text with a colon is left alone). */
const URL_LIKE = /^(?:[a-z][a-z0-9+.-]*:\/\/|file:)/i;
/** More URLs than this in one request's options is refused: each costs a DNS lookup to vet. */
const MAX_URLS = 16;
/** Nested deeper than this, options are refused rather than walked. */
const MAX_DEPTH = 8;

/**
 * Refuses webhook fields and non-fetchable URLs from the value alone; returns the http(s) URLs
 * (with where they were) whose hosts still need vetting (`policy.vet`).
 */
export function clientProviderOptionUrls(providerOptions: unknown, where: string, policy: ImageInputPolicy): [url: string, field: string][] {
  if (typeof providerOptions !== 'object' || providerOptions === null) return [];
  const urls: [string, string][] = [];
  for (const [vendor, options] of Object.entries(providerOptions)) {
    if (typeof options !== 'object' || options === null) continue;
    for (const field of WEBHOOK_FIELDS[vendor] ?? []) {
      if (field in options) {
        throw new InvalidRequestError(`${where}.${vendor}.${field}: webhooks are set by the gateway (its --public-url), not by clients`, {
          field: `${where}.${vendor}.${field}`,
        });
      }
    }
    collect(options, `${where}.${vendor}`, 0, urls, policy);
  }
  return urls;
}

function collect(value: unknown, field: string, depth: number, urls: [string, string][], policy: ImageInputPolicy): void {
  if (depth > MAX_DEPTH) throw new InvalidRequestError(`${field}: nested more than ${MAX_DEPTH} levels deep`, { field });
  if (typeof value === 'string') {
    if (!URL_LIKE.test(value) || value.startsWith('data:')) return;
    // The same refusal as an image field for anything the policy would not fetch (file:, gopher:, …).
    policy.check(value, field);
    if (urls.length >= MAX_URLS) throw new InvalidRequestError(`${field}: at most ${MAX_URLS} URLs are accepted in providerOptions`, { field });
    urls.push([value, field]);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) collect(inner, `${field}.${key}`, depth + 1, urls, policy);
}
