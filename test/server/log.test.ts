import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createEasel } from '../../src/easel.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { createGatewayApp } from '../../src/server/app.js';
import { KeyStore } from '../../src/server/auth/keys.js';
import { ImageFileStore } from '../../src/server/files/store.js';
import { createLogger } from '../../src/server/log.js';
import { GatewayMetrics } from '../../src/server/metrics/metrics.js';
import { until } from '../helpers/until.js';

describe('gateway logs', () => {
  it('log each request without keys or prompts', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const sandbox = await startSandbox({ timeScale: 0 });
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 1 } });
    const keys = new KeyStore(':memory:');
    const { key } = keys.create({ name: 'logged' });
    const app = createGatewayApp({
      easel,
      files: new ImageFileStore(),
      keys,
      metrics: new GatewayMetrics(easel.health),
      publicUrl: () => 'http://gw',
      maxBodyBytes: 1 << 20,
      maxImagePixels: 1 << 24,
      logger: createLogger(sink),
    });
    const response = await app.request('/v1/images/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'replicate/black-forest-labs/flux-schnell', prompt: 'a secret product codename ZX-99' }),
    });
    expect(response.status).toBe(200);
    // The line is written once the answer is out: wait for it, not for a time.
    await until(() => lines.some((line) => line.includes('"path":"/v1/images/generations"')));
    const log = lines.join('');
    expect(log).toContain('"path":"/v1/images/generations"');
    expect(log).toContain('"model":"replicate/black-forest-labs/flux-schnell"');
    expect(log).not.toContain(key);
    expect(log).not.toContain('ZX-99');
    await easel.close();
    await sandbox.close();
  });
});
