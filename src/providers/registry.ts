/** The vendor adapters by provider id, and each vendor's production endpoints. */
import type { ProviderId } from '../core/task.js';
import { falProvider } from './fal/index.js';
import { localProvider } from './local/index.js';
import { openaiProvider } from './openai/index.js';
import { replicateProvider } from './replicate/index.js';
import { stabilityProvider } from './stability/index.js';
import type { ImageProvider } from './types.js';

export type RemoteProviderId = Exclude<ProviderId, 'local'>;

export const PROVIDERS: Record<RemoteProviderId, ImageProvider> = {
  openai: openaiProvider,
  stability: stabilityProvider,
  replicate: replicateProvider,
  fal: falProvider,
};

/** The on-machine upscalers (`local/lanczos`, `local/esrgan`): no key, no base URL, no HTTP. */
export const LOCAL_PROVIDER: ImageProvider = localProvider;

/** Production base URLs. Every adapter URL starts from the configured base, so these are only defaults. */
export const VENDOR_BASE_URLS: Record<RemoteProviderId, { baseUrl: string; urls: Record<string, string> }> = {
  openai: { baseUrl: 'https://api.openai.com/v1', urls: {} },
  stability: { baseUrl: 'https://api.stability.ai', urls: {} },
  replicate: { baseUrl: 'https://api.replicate.com/v1', urls: {} },
  // `platform`: the Platform API, whose request listing finds a request whose submit answer was lost.
  fal: { baseUrl: 'https://queue.fal.run', urls: { run: 'https://fal.run', platform: 'https://api.fal.ai/v1' } },
};

/** The environment variables each vendor's own tools read for the key. */
export const VENDOR_KEY_ENV: Record<RemoteProviderId, string> = {
  openai: 'OPENAI_API_KEY',
  stability: 'STABILITY_API_KEY',
  replicate: 'REPLICATE_API_TOKEN',
  fal: 'FAL_KEY',
};
