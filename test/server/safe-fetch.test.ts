/**
 * SSRF defences of the gateway's image fetch. Only loopback is ever connected to: every refusal of a
 * private, link-local or metadata address happens before a socket is opened.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../src/server/ssrf/addresses.js';
import { safeFetchImage } from '../../src/server/ssrf/safe-fetch.js';

let server: Server;
let other: Server;
let port = 0;
let otherPort = 0;
const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer();

beforeAll(async () => {
  other = createServer((_req, res) => res.end('secret internal data'));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  otherPort = (other.address() as AddressInfo).port;
  server = createServer((req, res) => {
    if (req.url === '/image.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    if (req.url === '/to-other') return res.writeHead(302, { location: `http://127.0.0.1:${otherPort}/` }).end();
    if (req.url === '/to-private') return res.writeHead(302, { location: 'http://10.0.0.1/latest/meta-data' }).end();
    if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    if (req.url === '/html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
    if (req.url === '/huge') {
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024);
      for (let i = 0; i < 40; i++) res.write(chunk);
      return res.end();
    }
    if (req.url === '/hang') return; // never answers
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
  other.close();
});

/** Only the test server's own (address, port) is allowed: the stand-in for "a public host". */
const onlyTestServer = (address: string, p: number) => address === '127.0.0.1' && p === port;

describe('safeFetchImage', () => {
  it('fetches an image from an allowed host', async () => {
    const got = await safeFetchImage(`http://127.0.0.1:${port}/image.png`, { isAllowed: onlyTestServer });
    expect(got.mediaType).toBe('image/png');
    expect(Buffer.from(got.bytes).equals(png)).toBe(true);
  });

  it.each(['http://127.0.0.1/x.png', 'http://[::1]/x.png', 'http://10.0.0.5/x.png', 'http://192.168.1.1/x.png', 'http://172.16.0.1/x.png', 'http://169.254.169.254/latest/meta-data', 'http://[fc00::1]/x.png', 'http://[::ffff:10.0.0.1]/x.png', 'http://0.0.0.0/x.png', 'http://100.64.0.1/x.png'])(
    'refuses %s with the default policy, before connecting',
    async (url) => {
      await expect(safeFetchImage(url)).rejects.toThrow(/non-public address/);
    },
  );

  it('refuses a name that resolves to a private address, asking DNS but never connecting', async () => {
    const asked: string[] = [];
    const lookup = async (host: string) => (asked.push(host), [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.5', family: 4 }]);
    await expect(safeFetchImage('http://evil.test/x.png', { lookup })).rejects.toThrow(/non-public address \(10\.0\.0\.5\)/);
    expect(asked).toEqual(['evil.test']);
  });

  it('connects to the vetted address, whatever the name resolves to later (DNS rebinding)', async () => {
    let calls = 0;
    const lookup = async () => (calls++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.0.0.5', family: 4 }]);
    const got = await safeFetchImage(`http://rebind.test:${port}/image.png`, { lookup, isAllowed: onlyTestServer });
    expect(got.bytes.length).toBe(png.length);
    expect(calls).toBe(1);
  });

  it('re-checks every redirect', async () => {
    await expect(safeFetchImage(`http://127.0.0.1:${port}/to-other`, { isAllowed: onlyTestServer })).rejects.toThrow(/non-public address \(127\.0\.0\.1\)/);
    await expect(safeFetchImage(`http://127.0.0.1:${port}/to-private`, { isAllowed: onlyTestServer })).rejects.toThrow(/non-public address \(10\.0\.0\.1\)/);
    await expect(safeFetchImage(`http://127.0.0.1:${port}/loop`, { isAllowed: onlyTestServer })).rejects.toThrow(/redirects more than 3 times/);
  });

  it('bounds size and time, and wants an image', async () => {
    await expect(safeFetchImage(`http://127.0.0.1:${port}/huge`, { isAllowed: onlyTestServer, maxBytes: 1024 * 1024 })).rejects.toThrow(/larger than 1048576 bytes/);
    await expect(safeFetchImage(`http://127.0.0.1:${port}/hang`, { isAllowed: onlyTestServer, timeoutMs: 200 })).rejects.toThrow(/too long/);
    await expect(safeFetchImage(`http://127.0.0.1:${port}/html`, { isAllowed: onlyTestServer })).rejects.toThrow(/text\/html, not an image/);
  });

  it('refuses other schemes and credentials', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.com/x.png', 'data:image/png;base64,AAAA', 'gopher://x']) await expect(safeFetchImage(url)).rejects.toThrow(/must be http or https/);
    await expect(safeFetchImage('http://user:pass@example.com/x.png')).rejects.toThrow(/credentials/);
  });
});

describe('isPublicAddress', () => {
  it('knows public from private', () => {
    expect(isPublicAddress('93.184.216.34')).toBe(true);
    expect(isPublicAddress('2606:4700::1111')).toBe(true);
    for (const a of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '169.254.169.254', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', 'not an ip']) expect(isPublicAddress(a)).toBe(false);
  });
});
