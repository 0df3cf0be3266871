/**
 * Where each vendor's calls go, decided once per vendor: an explicit base URL, else a running
 * sandbox (EASEL_SANDBOX_URL), else the vendor's production API when a key is set, else the
 * default sandbox (which easel starts or finds, and announces: see sandbox/default.ts).
 */
import { AuthenticationError } from '../core/errors.js';
import { type RemoteProviderId, VENDOR_BASE_URLS, VENDOR_KEY_ENV } from '../providers/registry.js';
import { sandboxUrls } from '../core/sandbox-urls.js';
import type { EaselConfig } from './schema.js';

export interface VendorEndpoint {
  baseUrl: string;
  urls: Record<string, string>;
  apiKey: () => string;
  /** 'sandbox' when calls go to a sandbox (running or in-process), so results can say so. */
  target: 'vendor' | 'custom' | 'sandbox' | 'local';
}

/** Local models run in this process: no URL, no key. */
export const LOCAL_ENDPOINT: VendorEndpoint = { baseUrl: 'local:', urls: {}, apiKey: () => '', target: 'local' };

/** The key a sandbox accepts when the user has none (the sandbox takes any non-empty key). */
export const SANDBOX_KEY = 'easel-sandbox';

export function keyFor(provider: RemoteProviderId, config: EaselConfig, env: NodeJS.ProcessEnv): string | undefined {
  const fromConfig = config.providers?.[provider]?.apiKey;
  if (fromConfig) return fromConfig;
  if (provider === 'fal' && !env.FAL_KEY && env.FAL_KEY_ID && env.FAL_KEY_SECRET) return `${env.FAL_KEY_ID}:${env.FAL_KEY_SECRET}`;
  return env[VENDOR_KEY_ENV[provider]] || undefined;
}

/** Returns the endpoint, or `undefined` when the default sandbox is needed. */
export function configuredEndpoint(provider: RemoteProviderId, config: EaselConfig, env: NodeJS.ProcessEnv): VendorEndpoint | undefined {
  const vendor = config.providers?.[provider];
  const key = keyFor(provider, config, env);
  if (vendor?.baseUrl) {
    const runUrl = provider === 'fal' ? (config.providers?.fal?.runUrl ?? vendor.baseUrl) : undefined;
    return { baseUrl: vendor.baseUrl, urls: runUrl ? { run: runUrl } : {}, apiKey: lazyKey(provider, key), target: 'custom' };
  }
  const sandboxUrl = config.sandboxUrl ?? env.EASEL_SANDBOX_URL;
  if (sandboxUrl) return sandboxEndpoint(provider, sandboxUrl, key);
  if (key) return { ...VENDOR_BASE_URLS[provider], apiKey: () => key, target: 'vendor' };
  return undefined;
}

export function sandboxEndpoint(provider: RemoteProviderId, root: string, key?: string): VendorEndpoint {
  const urls = sandboxUrls(root);
  const baseUrl = provider === 'fal' ? urls.falQueue : urls[provider];
  return { baseUrl, urls: provider === 'fal' ? { run: urls.falRun, platform: urls.falPlatform } : {}, apiKey: () => key ?? SANDBOX_KEY, target: 'sandbox' };
}

function lazyKey(provider: RemoteProviderId, key: string | undefined): () => string {
  return () => {
    if (key) return key;
    throw new AuthenticationError(
      `no API key for ${provider}: set providers.${provider}.apiKey in the config or the ${VENDOR_KEY_ENV[provider]} environment variable`,
      {
        provider,
      },
    );
  };
}
