/**
 * A ProviderRuntime for the local models: they reach no network and read no key, so only the
 * signal matters. For callers that run local models outside the vendor plumbing (bench, pipelines).
 */
import { realClock } from '../../core/clock.js';
import { InvalidRequestError } from '../../core/errors.js';
import type { ProviderRuntime } from '../types.js';

export function localRuntime(signal: AbortSignal = new AbortController().signal): ProviderRuntime {
  return {
    baseUrl: 'local:',
    urls: {},
    apiKey: () => {
      throw new InvalidRequestError('local models need no API key');
    },
    fetch: () => Promise.reject(new InvalidRequestError('local models make no HTTP requests')),
    signal,
    sleep: realClock.sleep,
    now: realClock.now,
    pollIntervalMs: 0,
    sandbox: false,
  };
}
