/**
 * The one rule for images a gateway client names as text, on every route (OpenAI-compatible,
 * native, jobs): a base64 data URL or bare base64 is used as it is, an http(s) URL is fetched only
 * through the SSRF-safe fetch, and anything else (a file path, file:, ftp:, gopher:…) is refused
 * from the string alone. The gateway never touches its own disk for a client, so the refusal is the
 * same whether a path exists or not.
 */
import { dataUrlBytes } from '../../core/image-input.js';
import { InvalidRequestError } from '../../core/errors.js';
import { safeFetchImage, vetImageUrl } from '../ssrf/safe-fetch.js';

export interface ImageInputPolicyOptions {
  /** Which (address, port) pairs image URLs may reach; default public unicast addresses only. */
  isAllowedAddress?: (address: string, port: number) => boolean;
}

export interface ImageInputPolicy {
  /** Refuses, from the value alone (no DNS, no disk), anything the policy never accepts. */
  check(value: unknown, field: string): void;
  /** `check`, then the URL's host vetted as the fetch will vet it (DNS, no connection): for inputs fetched later. */
  vet(value: unknown, field: string): Promise<void>;
  /** The image's bytes: `check`, then base64 decoded or the URL fetched SSRF-safely. An ImageReader for the engine. */
  read(value: unknown, field: string, signal?: AbortSignal): Promise<Uint8Array>;
}

/** The kinds of text accepted, said the same way in every refusal (it never repeats the value). */
const ALLOWED = 'a base64 data URL (data:image/png;base64,…), base64-encoded image bytes, or an http(s) URL; file paths and other URL schemes are not accepted';
/**
 * Strict base64 (whole groups of four, padding only at the end). Most paths fail it (`.`, `\`, `:`,
 * a length not a multiple of four); one that passes is decoded as base64, never opened.
 */
const isBase64 = (value: string) => value.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(value);
/** An image media type, or none, and base64: what `dataUrlBytes` decodes. */
const DATA_URL = /^data:(image\/[\w.+-]+)?;base64,/;
const HTTP_URL = /^https?:\/\//i;

type Kind = 'data-url' | 'base64' | 'url';

export function imageInputPolicy(options: ImageInputPolicyOptions = {}): ImageInputPolicy {
  const fetchOptions = (field: string, signal?: AbortSignal) => ({
    field,
    signal,
    ...(options.isAllowedAddress ? { isAllowedAddress: options.isAllowedAddress } : {}),
  });
  const kindOf = (value: unknown, field: string): Kind => {
    if (typeof value !== 'string' || value.length === 0) throw new InvalidRequestError(`${field} must be ${ALLOWED}`, { field });
    if (value.startsWith('data:')) {
      if (!DATA_URL.test(value)) throw new InvalidRequestError(`${field} is a data URL that is not a base64-encoded image; it must be ${ALLOWED}`, { field });
      return 'data-url';
    }
    if (HTTP_URL.test(value)) return 'url';
    if (isBase64(value)) return 'base64';
    throw new InvalidRequestError(`${field} must be ${ALLOWED}`, { field });
  };
  return {
    check(value, field) {
      kindOf(value, field);
    },
    async vet(value, field) {
      if (kindOf(value, field) === 'url') await vetImageUrl(value as string, fetchOptions(field));
    },
    async read(value, field, signal) {
      const kind = kindOf(value, field);
      const text = value as string;
      if (kind === 'data-url') return dataUrlBytes(text, field);
      if (kind === 'base64') return new Uint8Array(Buffer.from(text, 'base64'));
      return (await safeFetchImage(text, fetchOptions(field, signal))).bytes;
    },
  };
}
