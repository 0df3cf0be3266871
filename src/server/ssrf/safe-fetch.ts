/**
 * Fetches an image URL a gateway client sent, without letting it reach inside the network:
 * http(s) only, no credentials, every address the name resolves to must be allowed (public by
 * default), the connection goes to the address that was checked, each redirect hop is checked the
 * same way, and size and time are bounded. Refusals happen before any socket is opened.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { errorFromSignal } from '../../core/abort.js';
import { deadlineSignal } from '../../core/clock.js';
import { InvalidRequestError, TimeoutError } from '../../core/errors.js';
import { safeUrl } from '../../providers/http.js';
import { classifyAddress } from './addresses.js';
import { type PinnedAddress, pinnedGet, readLimited } from './pinned-get.js';

export interface SafeFetchOptions {
  /** Largest body accepted; default 20 MiB. */
  maxBytes?: number;
  /** For the whole fetch, DNS and redirects included; default 10 s. */
  timeoutMs?: number;
  /** Default 3. */
  maxRedirects?: number;
  /** DNS, injectable for tests; default `dns.promises.lookup(hostname, { all: true })`. */
  lookup?: (hostname: string) => Promise<readonly { address: string; family: number }[]>;
  /** Which (address, port) pairs may be connected to; default: public unicast addresses, any port. */
  isAllowedAddress?: (address: string, port: number) => boolean;
  signal?: AbortSignal;
  /** The request field the URL came from (`image`, `mask`): prefixed to messages and set on errors. */
  field?: string;
}

export interface FetchedImage {
  bytes: Uint8Array;
  mediaType: string;
  /** The URL the image finally came from, after redirects. */
  finalUrl: string;
}

const DEFAULTS = { maxBytes: 20 * 1024 * 1024, timeoutMs: 10_000, maxRedirects: 3 };
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

type Refuse = (why: string) => InvalidRequestError;

export function safeFetchImage(url: string, options: SafeFetchOptions = {}): Promise<FetchedImage> {
  return bounded(url, options, (signal, refuse) => follow(url, options, signal, refuse));
}

/**
 * The checks `safeFetchImage` makes before its first connection (the URL's form, then every address
 * its host resolves to), without connecting: for refusing a URL up front that is fetched later.
 * Redirects can only be judged when fetched, and DNS may answer differently then: the fetch checks again.
 */
export function vetImageUrl(url: string, options: Omit<SafeFetchOptions, 'maxBytes' | 'maxRedirects'> = {}): Promise<void> {
  return bounded(url, options, async (signal, refuse) => {
    await vetHost(checkUrl(url, 'image URL', refuse), 'image URL', options, signal, refuse);
  });
}

/** Runs `work` within the time limit, turning what can go wrong into refusals that name the field. */
async function bounded<T>(url: string, options: SafeFetchOptions, work: (signal: AbortSignal, refuse: Refuse) => Promise<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const refuse: Refuse = (why) => new InvalidRequestError(options.field ? `${options.field}: ${why}` : why, { field: options.field });
  const { signal, dispose } = deadlineSignal(options.signal, timeoutMs, 'fetching the image URL');
  try {
    return await work(signal, refuse);
  } catch (error) {
    if (error instanceof InvalidRequestError) throw error;
    if (signal.aborted) {
      const reason = errorFromSignal(signal);
      // A slow URL is the client's to fix; the client's own abort stays an AbortedError.
      throw reason instanceof TimeoutError ? refuse(`image URL took longer than ${timeoutMs} ms to fetch`) : reason;
    }
    const code = (error as NodeJS.ErrnoException).code;
    throw refuse(`could not fetch the image URL ${safeUrl(url)} (${code ?? 'connection failed or dropped'})`);
  } finally {
    dispose();
  }
}

async function follow(url: string, options: SafeFetchOptions, signal: AbortSignal, refuse: Refuse): Promise<FetchedImage> {
  const maxRedirects = options.maxRedirects ?? DEFAULTS.maxRedirects;
  let target = checkUrl(url, 'image URL', refuse);
  let where = 'image URL';
  for (let redirects = 0; ; redirects++) {
    const pinned = await vetHost(target, where, options, signal, refuse);
    const response = await pinnedGet(target, pinned, signal);
    const status = response.statusCode ?? 0;
    if (REDIRECTS.has(status) && response.headers.location) {
      response.destroy();
      if (redirects >= maxRedirects) throw refuse(`image URL redirects more than ${maxRedirects} times`);
      let next: string;
      try {
        next = new URL(response.headers.location, target).toString();
      } catch {
        throw refuse(`image URL redirects to an invalid URL`);
      }
      where = `image URL redirect to ${safeUrl(next)}`;
      target = checkUrl(next, where, refuse);
      continue;
    }
    if (status !== 200) {
      response.destroy();
      throw refuse(`image URL answered HTTP ${status}`);
    }
    const mediaType = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!mediaType.startsWith('image/')) {
      response.destroy();
      throw refuse(`image URL sent ${mediaType || 'no content type'}, not an image`);
    }
    const maxBytes = options.maxBytes ?? DEFAULTS.maxBytes;
    const bytes = await readLimited(response, maxBytes, () => refuse(`image is larger than ${maxBytes} bytes`));
    return { bytes, mediaType, finalUrl: target.toString() };
  }
}

function checkUrl(url: string, where: string, refuse: Refuse): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw refuse(`${where} is not a valid URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw refuse(`${where} must be http or https, not ${target.protocol.slice(0, -1)}`);
  // Credentials in a client URL would be sent on the client's behalf from the gateway's network.
  if (target.username || target.password) throw refuse(`${where} contains credentials; URLs with credentials are not fetched`);
  if (!target.hostname) throw refuse(`${where} has no host`);
  return target;
}

/** Resolves the URL's host and returns the one address the connection may use, or refuses. */
async function vetHost(target: URL, where: string, options: SafeFetchOptions, signal: AbortSignal, refuse: Refuse): Promise<PinnedAddress> {
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const answers = isIP(host) ? [host] : await resolve(host, where, options, signal, refuse);
  const allowed = options.isAllowedAddress ?? ((address: string) => classifyAddress(address).public);
  // Every answer must pass, not just the one we would use: a mixed answer is a rebinding attempt.
  for (const address of answers) {
    if (!allowed(address, port)) {
      const { label } = classifyAddress(address);
      if (options.isAllowedAddress)
        throw refuse(`${where} resolves to ${/^[aeiou]/.test(label) ? 'an' : 'a'} ${label} address (${address}) on port ${port}, which is not allowed`);
      throw refuse(`${where} resolves to a non-public address (${address}, ${label}); only public addresses are fetched`);
    }
  }
  const address = answers[0]!;
  return { address, family: isIP(address) === 6 ? 6 : 4 };
}

async function resolve(host: string, where: string, options: SafeFetchOptions, signal: AbortSignal, refuse: Refuse): Promise<string[]> {
  const lookup = options.lookup ?? ((h: string) => dnsLookup(h, { all: true }));
  // DNS has no signal of its own; racing it keeps the whole fetch inside the time limit.
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  let answers: readonly { address: string }[];
  try {
    answers = await Promise.race([lookup(host), aborted]);
  } catch (error) {
    if (signal.aborted) throw error;
    answers = [];
  }
  if (answers.length === 0) throw refuse(`${where} host ${host} does not resolve`);
  const addresses = answers.map((a) => a.address);
  const bad = addresses.find((a) => !isIP(a));
  if (bad !== undefined) throw refuse(`${where} host ${host} resolved to something that is not an IP address`);
  return addresses;
}
