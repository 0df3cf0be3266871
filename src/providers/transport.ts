/**
 * The default way vendor calls go out: undici's `request` on a keep-alive pool. Node's global fetch
 * is the same library behind WHATWG streams, and on a 300 KB answer that layer costs about half a
 * millisecond per call (bench/gateway.ts: added p50 3.0 → 2.5 ms), which every gateway request pays.
 * Redirects are followed as fetch would, and undici drops credentials when one changes origin.
 * An injected `fetch` (tests, custom runtimes) is used instead of this, and multipart bodies always
 * go through fetch, which knows how to encode FormData.
 */
import { Agent, request } from 'undici';

export interface TransportRequest {
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  signal: AbortSignal;
}

export interface TransportAnswer {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
}

export type Transport = (url: string, req: TransportRequest) => Promise<TransportAnswer>;

/** Keep-alive connections to the vendors, shared by every call (and the gateway's forwarding). */
export const vendorPool = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000 });
const MAX_REDIRECTS = 5;

export const undiciTransport: Transport = async (url, req) => {
  const answer = await request(url, {
    method: req.method as 'GET',
    headers: req.headers,
    body: req.body ?? null,
    signal: req.signal,
    dispatcher: vendorPool,
    maxRedirections: MAX_REDIRECTS,
  });
  const bytes = new Uint8Array(await answer.body.arrayBuffer());
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return { status: answer.statusCode, headers, bytes };
};
