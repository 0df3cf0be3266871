import { describe, expect, it } from 'vitest';
import { configuredEndpoint } from '../../src/config/endpoints.js';
import { parseConfig } from '../../src/config/load.js';

describe('configuredEndpoint', () => {
  it('uses the vendor when a key is set, the sandbox URL when given, and nothing otherwise', () => {
    expect(configuredEndpoint('openai', {}, { OPENAI_API_KEY: 'sk-1' })).toMatchObject({ baseUrl: 'https://api.openai.com/v1', target: 'vendor' });
    expect(configuredEndpoint('fal', {}, { EASEL_SANDBOX_URL: 'http://127.0.0.1:9' })).toMatchObject({
      baseUrl: 'http://127.0.0.1:9/fal/queue',
      urls: { run: 'http://127.0.0.1:9/fal/run' },
      target: 'sandbox',
    });
    expect(configuredEndpoint('replicate', {}, {})).toBeUndefined();
  });

  it('prefers an explicit base URL, and reads the key lazily with a helpful error', () => {
    const endpoint = configuredEndpoint('openai', { providers: { openai: { baseUrl: 'http://proxy.local/v1' } } }, {});
    expect(endpoint).toMatchObject({ baseUrl: 'http://proxy.local/v1', target: 'custom' });
    expect(() => endpoint!.apiKey()).toThrow(/providers.openai.apiKey .* OPENAI_API_KEY/);
  });

  it('builds the FAL key from FAL_KEY_ID and FAL_KEY_SECRET', () => {
    expect(configuredEndpoint('fal', {}, { FAL_KEY_ID: 'id', FAL_KEY_SECRET: 'secret' })!.apiKey()).toBe('id:secret');
  });
});

describe('parseConfig', () => {
  it('names the offending field', () => {
    expect(() => parseConfig({ providers: { openai: { baseUrl: 'not a url' } } }, 'easel.config.json')).toThrow(/easel.config.json: providers.openai.baseUrl/);
    expect(() => parseConfig({ colour: 1 })).toThrow(/colour/);
  });
});
