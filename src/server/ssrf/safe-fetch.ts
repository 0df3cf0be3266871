/**
 * Fetches an image URL a gateway client sent, without letting it reach inside the network:
 * http(s) only, every address the name resolves to must be public, the connection goes to the
 * address that was checked (no second DNS answer can swap it), redirects are checked hop by hop,
 * and size and time are bounded.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { InvalidRequestError } from '../../core/errors.js';
import { safeUrl } from '../../providers/http.js';
import { isPublicAddress } from './addresses.js';

export interface SafeFetchOptions {
  maxBytes?: number;
  timeoutMs?: number;
  maxRedirects?: number;
  /** DNS, injectable for tests. */
  lookup?: (hostname: string) => Promise<{ address: string; family: number }[]>;
  /** Which (address, port) pairs may be fetched; default public addresses only. */
  isAllowed?: (address: string, port: number) => boolean;
  signal?: AbortSignal;
  field?: string;
}

export interface FetchedImage {
  bytes: Uint8Array;
  mediaType: string;
  finalUrl: string;
}

export async function safeFetchImage(url: string, options: SafeFetchOptions = {}): Promise<FetchedImage> {
  const field = options.field ?? 'image';
  const refuse = (why: string) => new InvalidRequestError(`${field}: ${why}`, { field });
  const deadline = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  let current = url;
  for (let hop = 0; ; hop++) {
    const target = parse(current, refuse);
    const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
    const address = await vet(target.hostname.replace(/^\[|\]$/g, ''), port, options, refuse);
    const response = await get(target, address, signal, refuse);
    if (response.statusCode && response.statusCode >= 300 && response.statusCode < 400 && response.headers.location) {
      response.resume();
      if (hop >= (options.maxRedirects ?? 3)) throw refuse(`image URL redirects more than ${options.maxRedirects ?? 3} times`);
      current = new URL(response.headers.location, target).toString();
      continue;
    }
    if (response.statusCode !== 200) {
      response.resume();
      throw refuse(`image URL answered ${response.statusCode}`);
    }
    const mediaType = (response.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (!mediaType.startsWith('image/')) {
      response.resume();
      throw refuse(`image URL sent ${mediaType || 'no content type'}, not an image`);
    }
    const bytes = await readLimited(response, options.maxBytes ?? 20 * 1024 * 1024, refuse);
    return { bytes, mediaType, finalUrl: current };
  }
}

function parse(url: string, refuse: (why: string) => Error): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw refuse('is not a valid URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw refuse(`URLs must be http or https, not ${target.protocol.replace(':', '')}`);
  if (target.username || target.password) throw refuse('URLs with credentials are not fetched');
  return target;
}

/** Resolves the host and returns the one address the connection may use. */
async function vet(host: string, port: number, options: SafeFetchOptions, refuse: (why: string) => Error): Promise<{ address: string; family: number }> {
  const allowed = options.isAllowed ?? ((address: string) => isPublicAddress(address));
  const answers = /^[\d.]+$|:/.test(host) ? [{ address: host, family: host.includes(':') ? 6 : 4 }] : await (options.lookup ?? ((h: string) => dnsLookup(h, { all: true })))(host).catch(() => []);
  if (answers.length === 0) throw refuse(`image URL host ${host} does not resolve`);
  const bad = answers.find((a) => !allowed(a.address, port));
  if (bad) throw refuse(`image URL resolves to a non-public address (${bad.address}); only public addresses are fetched`);
  return answers[0]!;
}

function get(target: URL, pinned: { address: string; family: number }, signal: AbortSignal, refuse: (why: string) => Error): Promise<IncomingMessage> {
  // The socket connects to the vetted address whatever DNS says now; Host and TLS name stay the URL's.
  const lookup: LookupFunction = (_host, opts, callback) => {
    if ((opts as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(target, { method: 'GET', lookup, signal, headers: { accept: 'image/*', 'user-agent': 'easel-gateway' } }, resolve);
    req.on('error', (error) => reject(signal.aborted ? refuse('image URL took too long to answer') : refuse(`could not fetch ${safeUrl(target.toString())} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)));
    req.end();
  });
}

async function readLimited(response: IncomingMessage, maxBytes: number, refuse: (why: string) => Error): Promise<Uint8Array> {
  const declared = Number(response.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    response.destroy();
    throw refuse(`image is larger than ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of response) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) {
        response.destroy();
        throw refuse(`image is larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof InvalidRequestError) throw error;
    throw refuse('image URL took too long to answer, or the connection dropped');
  }
  return new Uint8Array(Buffer.concat(chunks));
}
