/**
 * One GET to an address that was vetted beforehand. The socket goes to that address whatever DNS
 * answers now (no rebinding between check and connect), while the Host header and the TLS name
 * (SNI and certificate check) stay the URL's hostname, so virtual hosts and HTTPS work as usual.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

export interface PinnedAddress {
  address: string;
  family: 4 | 6;
}

export function pinnedGet(target: URL, pinned: PinnedAddress, signal: AbortSignal): Promise<IncomingMessage> {
  // Node asks with `all: true` when it races IPv4 and IPv6 (autoSelectFamily); answer both forms.
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: 'GET',
      lookup,
      signal,
      // A fresh agent per request: a pooled keep-alive socket could have been opened by other code
      // to wherever the name pointed then, which this check never saw.
      agent: false,
      headers: { accept: 'image/*', 'user-agent': 'easel-gateway' },
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
}

/** Reads the body, refusing (and hanging up) as soon as it is larger than `maxBytes`. */
export async function readLimited(response: IncomingMessage, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
  const declared = Number(response.headers['content-length']);
  if (declared > maxBytes) {
    response.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      response.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}
