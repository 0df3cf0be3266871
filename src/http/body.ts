/**
 * Request bodies, bounded. On Node, a body whose length is declared is read straight from the
 * IncomingMessage: building the WHATWG Request body that `c.req.json()` reads costs about 0.2 ms per
 * request, a fifth of the gateway's whole budget. Bodies sent chunked (no length) go through Hono's
 * bodyLimit and the Request, which count as they read.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { IncomingMessage } from 'node:http';
import { GatewayError } from './errors.js';

// The connection is closed after the answer: kept alive, Node would read (and drop) the rest of the
// refused body to reach the next request, taking in the very bytes the limit refuses.
const tooLarge = (maxBytes: number) =>
  new GatewayError(413, `Request body too large: the gateway accepts at most ${maxBytes} bytes.`, {
    code: 'request_too_large',
    headers: { connection: 'close' },
  });

function declaredLength(c: Context): number | undefined {
  if (c.req.header('transfer-encoding')) return undefined;
  const value = c.req.header('content-length');
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** Refuses a body over `maxBytes`: by its declared length up front, else while it is read. */
export function bodySizeLimit(maxBytes: number): MiddlewareHandler {
  const streamed = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge(maxBytes);
    },
  });
  return async (c, next) => {
    const length = declaredLength(c);
    if (length === undefined) return streamed(c, next);
    if (length > maxBytes) throw tooLarge(maxBytes);
    return next();
  };
}

/** The body's bytes (its size already bounded by `bodySizeLimit`). */
export async function readBody(c: Context): Promise<Uint8Array> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const length = declaredLength(c);
  if (!incoming || length === undefined || incoming.readableEnded) return new Uint8Array(await c.req.arrayBuffer());
  const chunks: Buffer[] = [];
  let received = 0;
  if (incoming.complete) {
    // The usual case for a small JSON body: it came in with the headers and waits in the stream's
    // buffer. Taken in one synchronous read, without an async iterator and its promise per chunk.
    let chunk: Buffer | null;
    while ((chunk = incoming.read() as Buffer | null) !== null) {
      chunks.push(chunk);
      received += chunk.length;
    }
    if (received > length) throw new GatewayError(400, 'The request body is longer than its Content-Length.', { code: 'invalid_body' });
    return Buffer.concat(chunks, received);
  }
  for await (const chunk of incoming) {
    received += (chunk as Buffer).length;
    // A client that sends more than it declared is cut off at what it declared.
    if (received > length) throw new GatewayError(400, 'The request body is longer than its Content-Length.', { code: 'invalid_body' });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, received);
}

/**
 * The body as a JSON object, or a 400 saying what was wrong. `what` names the object expected
 * (`an easel ImageRequest`) in the refusal.
 */
export async function readJsonObject(c: Context, what?: string): Promise<Record<string, unknown>> {
  const bytes = await readBody(c);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw new GatewayError(400, 'We could not parse the JSON body of your request.', { code: 'invalid_json' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GatewayError(400, `The request body must be a JSON object${what ? ` (${what})` : ''}.`, { code: 'invalid_json' });
  }
  return body as Record<string, unknown>;
}
