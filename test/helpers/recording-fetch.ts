/**
 * A fetch that records every request an adapter sends, then sends it on: what the adapter tests
 * compare with the request the vendor documents. One record for both kinds of body the adapters send
 * (JSON text, multipart FormData), so each test checks the parts it is about.
 */
import { expect } from 'vitest';

/** A multipart file part. */
export interface RecordedFile {
  /** The form field it was sent under. */
  field: string;
  /** Its file name. */
  name: string;
  /** Its media type. */
  type: string;
  /** Its length in bytes. */
  size: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  /** Lower-case names; `authorization`, once checked against the expected value, reads `<redacted>`. */
  headers: Record<string, string>;
  /** The body parsed as JSON; absent when the body is not text (multipart, or no body). */
  json?: unknown;
  /** Multipart text fields by name; absent when the body is not multipart. */
  fields?: Record<string, string>;
  /** Multipart file parts in the order sent; absent when the body is not multipart. */
  files?: RecordedFile[];
}

export interface RecordingOptions {
  /** The `Authorization` header every request that carries one must have, e.g. `Bearer sk-…` or `Key …`. */
  authorization: string;
  /** Where a request goes once recorded (default the global fetch): e.g. a fetch that rewrites what is sent. */
  send?: typeof fetch;
  /** Called with each record before its request is sent on (to act at a given request, e.g. abort at the first poll). */
  onRequest?: (request: RecordedRequest) => void;
}

export function recordingFetch(options: RecordingOptions): { fetch: typeof fetch; calls: RecordedRequest[] } {
  const calls: RecordedRequest[] = [];
  const send: typeof fetch = options.send ?? ((input, init) => globalThis.fetch(input, init));
  const recording: typeof fetch = async (input, init) => {
    const record = recordOf(input, init, options.authorization);
    calls.push(record);
    options.onRequest?.(record);
    return send(input, init);
  };
  return { fetch: recording, calls };
}

function recordOf(input: Parameters<typeof fetch>[0], init: RequestInit | undefined, authorization: string): RecordedRequest {
  const headers = Object.fromEntries(new Headers(init?.headers).entries());
  if (headers.authorization !== undefined) {
    // Checked here so that no test has to repeat the key in what it compares.
    expect(headers.authorization).toBe(authorization);
    headers.authorization = '<redacted>';
  }
  const record: RecordedRequest = {
    method: init?.method ?? (input instanceof Request ? input.method : 'GET'),
    url: input instanceof Request ? input.url : String(input),
    headers,
  };
  const body = init?.body;
  if (typeof body === 'string') record.json = JSON.parse(body);
  else if (body instanceof FormData) {
    record.fields = {};
    record.files = [];
    for (const [field, value] of body.entries()) {
      if (typeof value === 'string') record.fields[field] = value;
      else record.files.push({ field, name: value.name, type: value.type, size: value.size });
    }
  } else if (body !== undefined && body !== null) {
    // Adapters send JSON text or FormData; a body of another kind must not pass unrecorded.
    throw new Error(`recordingFetch: cannot record a ${Object.prototype.toString.call(body)} body`);
  }
  return record;
}
