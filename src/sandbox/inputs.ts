/**
 * Reads a file input the way a vendor's model container would: a data: URI, a file uploaded to
 * Replicate's `/v1/files`, a file the sandbox itself served (an earlier output), or any other
 * http(s) URL.
 */
import type { SandboxContext } from './context.js';

export class InputFileError extends Error {}

/** Replicate's uploaded files (`/v1/files`); other vendors have none here. */
export interface UploadLookup {
  get(id: string): { bytes: Uint8Array } | undefined;
}

export async function readInputFile(value: string, ctx: SandboxContext, field: string, uploads?: UploadLookup): Promise<Uint8Array> {
  if (value.startsWith('data:')) {
    const m = /^data:[^,]*?(;base64)?,(.*)$/s.exec(value);
    if (!m) throw new InputFileError(`${field}: malformed data URI`);
    return new Uint8Array(m[1] ? Buffer.from(m[2]!, 'base64') : Buffer.from(decodeURIComponent(m[2]!)));
  }
  const url = new URL(value);
  if (url.origin === new URL(ctx.baseUrl()).origin) {
    const upload = /\/replicate\/v1\/files\/([^/]+)(?:\/download)?$/.exec(url.pathname);
    if (upload && uploads) {
      const file = uploads.get(upload[1]!);
      if (!file) throw new InputFileError(`${field}: file ${upload[1]} does not exist or has expired`);
      return file.bytes;
    }
    const served = /^\/files\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (served) {
      const file = ctx.files.get(`${served[1]}/${served[2]}`);
      if (!file) throw new InputFileError(`${field}: ${url.pathname} does not exist or has expired`);
      return file.bytes;
    }
  }
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch {
    throw new InputFileError(`${field}: could not download ${url.origin}${url.pathname}`);
  }
  if (!response.ok) throw new InputFileError(`${field}: downloading ${url.origin}${url.pathname} failed with status ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
