/** Builds adapter runtimes and calls pointed at a sandbox, for adapter and sandbox tests. */
import { findModel } from '../../src/catalog/index.js';
import type { CatalogModel } from '../../src/catalog/types.js';
import { type Clock, deadlineSignal, realClock } from '../../src/core/clock.js';
import type { ProviderCall, ProviderRuntime } from '../../src/providers/types.js';
import type { Sandbox } from '../../src/sandbox/server.js';

export const TEST_KEYS = { openai: 'sk-test-openai', stability: 'sk-test-stability', replicate: 'r8_test_replicate', fal: 'test-fal-key' } as const;

export function sandboxRuntime(
  sandbox: Sandbox,
  provider: 'openai' | 'stability' | 'replicate' | 'fal',
  overrides: Partial<ProviderRuntime> & { timeoutMs?: number; parentSignal?: AbortSignal; clock?: Clock } = {},
): ProviderRuntime {
  const baseUrl = provider === 'fal' ? sandbox.urls.falQueue : sandbox.urls[provider];
  const clock = overrides.clock ?? realClock;
  const { signal } = deadlineSignal(overrides.parentSignal, overrides.timeoutMs ?? 20_000, undefined, clock);
  return {
    baseUrl,
    urls: provider === 'fal' ? { run: sandbox.urls.falRun, platform: sandbox.urls.falPlatform } : {},
    apiKey: () => TEST_KEYS[provider],
    fetch: globalThis.fetch,
    signal,
    sleep: clock.sleep,
    now: clock.now,
    pollIntervalMs: 5,
    sandbox: true,
    ...overrides,
  };
}

/** Runtime overrides that ask the sandbox for a fault on every request (`x-sandbox-fault: 503`, `hang`, …). */
export function withSandboxFault(fault: string): Partial<ProviderRuntime> {
  return {
    fetch: (input, init) =>
      globalThis.fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers).entries()), 'x-sandbox-fault': fault } }),
  };
}

export function catalogModel(id: string): CatalogModel {
  const model = findModel(id);
  if (!model) throw new Error(`test setup: no catalog model ${id}`);
  return model;
}

/** A fully specified call with defaults, so each test states only what it is about. */
export function makeCall(modelId: string, overrides: Partial<ProviderCall> = {}): ProviderCall {
  const model = catalogModel(modelId);
  return {
    model,
    task: 'generate',
    prompt: 'a cozy coffee shop interior',
    negativePrompt: undefined,
    width: undefined,
    height: undefined,
    aspectRatio: undefined,
    n: 1,
    seed: undefined,
    quality: undefined,
    style: undefined,
    outputFormat: model.defaultOutputFormat,
    image: undefined,
    mask: undefined,
    strength: undefined,
    scale: undefined,
    providerOptions: {},
    ...overrides,
  };
}
