/**
 * SSRF defences of the gateway's image fetch. Network rule of this file: traffic goes to loopback
 * servers only. Every refusal of a private, link-local, metadata or otherwise internal address is
 * asserted to happen before any socket is opened (client sockets are recorded through Node's
 * `net.client.socket` diagnostics channel).
 */
import { subscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AbortedError, InvalidRequestError } from '../../src/core/errors.js';
import { classifyAddress, isPublicAddress } from '../../src/server/ssrf/addresses.js';
import { safeFetchImage } from '../../src/server/ssrf/safe-fetch.js';

/** Every client socket this process opens, with where it connected. */
const sockets: { remote?: string }[] = [];
subscribe('net.client.socket', (message) => {
  const { socket } = message as { socket: Socket };
  const entry: { remote?: string } = {};
  sockets.push(entry);
  socket.once('connect', () => (entry.remote = `${socket.remoteAddress}:${socket.remotePort}`));
});

const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
  .png()
  .toBuffer();
let main: Server;
let other: Server;
let port = 0;
let otherPort = 0;
const seen: IncomingMessage[] = [];
let otherHits = 0;
let endlessClosed = false;

beforeAll(async () => {
  other = createServer((_req, res) => (otherHits++, res.writeHead(200, { 'content-type': 'image/png' }).end(png)));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  otherPort = (other.address() as AddressInfo).port;
  main = createServer((req, res) => {
    seen.push(req);
    const path = req.url ?? '';
    const redirect = (location: string) => res.writeHead(302, { location }).end();
    if (path === '/image.png') return res.writeHead(200, { 'content-type': 'image/png; charset=binary' }).end(png);
    if (path === '/to-other') return redirect(`http://127.0.0.1:${otherPort}/image.png`);
    if (path === '/to-private') return redirect('http://10.0.0.1/latest/meta-data?token=SECRET');
    if (path === '/to-file') return redirect('file:///etc/passwd');
    if (path === '/to-credentials') return redirect(`http://user:pw@127.0.0.1:${port}/image.png`);
    if (path === '/loop') return redirect('/loop');
    const chain = /^\/chain\/(\d+)$/.exec(path);
    if (chain) return redirect(chain[1] === '1' ? '/image.png' : `/chain/${Number(chain[1]) - 1}`);
    if (path === '/html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
    if (path === '/declared-huge') return res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(100 * 1024 * 1024) }).write(png); // then stalls
    if (path === '/endless') {
      // Streams until the client hangs up: only a reader that stops at the limit ever finishes.
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      res.once('close', () => (endlessClosed = true));
      return pump();
    }
    if (path === '/hang') return; // never answers
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => main.listen(0, '127.0.0.1', r));
  port = (main.address() as AddressInfo).port;
});
afterAll(() => {
  main.closeAllConnections();
  main.close();
  other.close();
});
beforeEach(() => {
  sockets.length = 0;
  seen.length = 0;
  otherHits = 0;
});

/** The stand-in for "a public host": exactly the main loopback server's (address, port). */
const onlyMain = (address: string, p: number) => address === '127.0.0.1' && p === port;
const connections = () => sockets.map((s) => s.remote);
function recordingLookup(answers: (call: number) => { address: string; family: 4 | 6 }[]) {
  const asked: string[] = [];
  const lookup = async (host: string) => answers(asked.push(host));
  return { asked, lookup };
}
async function refusal(promise: Promise<unknown>): Promise<InvalidRequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidRequestError);
  return error as InvalidRequestError;
}

describe('safeFetchImage: the allowed path', () => {
  it('returns the bytes and media type of an image from an allowed host', async () => {
    const got = await safeFetchImage(`http://127.0.0.1:${port}/image.png`, { isAllowedAddress: onlyMain });
    expect(got.mediaType).toBe('image/png');
    expect(Buffer.from(got.bytes).equals(png)).toBe(true);
    expect(got.finalUrl).toBe(`http://127.0.0.1:${port}/image.png`);
    expect(connections()).toEqual([`127.0.0.1:${port}`]);
  });

  it('follows up to maxRedirects allowed hops and reports the final URL', async () => {
    const got = await safeFetchImage(`http://127.0.0.1:${port}/chain/3`, { isAllowedAddress: onlyMain });
    expect(got.finalUrl).toBe(`http://127.0.0.1:${port}/image.png`);
    expect(seen.map((r) => r.url)).toEqual(['/chain/3', '/chain/2', '/chain/1', '/image.png']);
  });
});

describe('safeFetchImage: refusals before any connection', () => {
  it.each([
    ['http://10.0.0.5/x.png', 'private', '10.0.0.5'],
    ['http://192.168.1.1/x.png', 'private', '192.168.1.1'],
    ['http://172.16.0.1/x.png', 'private', '172.16.0.1'],
    ['http://127.0.0.1/x.png', 'loopback', '127.0.0.1'],
    ['http://2130706433/x.png', 'loopback', '127.0.0.1'],
    ['http://169.254.169.254/latest/meta-data', 'cloud metadata', '169.254.169.254'],
    ['http://169.254.1.1/x.png', 'link-local', '169.254.1.1'],
    ['http://100.64.0.1/x.png', 'carrier-grade NAT', '100.64.0.1'],
    ['http://0.0.0.0/x.png', 'unspecified', '0.0.0.0'],
    ['http://198.18.0.1/x.png', 'reserved', '198.18.0.1'],
    ['http://224.0.0.1/x.png', 'multicast', '224.0.0.1'],
    ['http://[::1]/x.png', 'loopback', '::1'],
    ['http://[::]/x.png', 'unspecified', '::'],
    ['http://[fc00::1]/x.png', 'unique-local', 'fc00::1'],
    ['http://[fe80::1]/x.png', 'link-local', 'fe80::1'],
    ['http://[::ffff:10.0.0.1]/x.png', 'private', '::ffff:a00:1'],
    ['http://[64:ff9b::a9fe:a9fe]/x.png', 'cloud metadata', '64:ff9b::a9fe:a9fe'],
  ])('refuses %s (%s) without asking DNS or connecting', async (url, label, address) => {
    const { asked, lookup } = recordingLookup(() => [{ address: '93.184.216.34', family: 4 }]);
    const error = await refusal(safeFetchImage(url, { lookup }));
    expect(error.message).toBe(`image URL resolves to a non-public address (${address}, ${label}); only public addresses are fetched`);
    expect(asked).toEqual([]);
    expect(sockets).toEqual([]);
  });

  it('refuses a name that resolves to a private address, after asking DNS and before connecting', async () => {
    const { asked, lookup } = recordingLookup(() => [{ address: '10.0.0.5', family: 4 }]);
    const error = await refusal(safeFetchImage('http://evil.test/x.png?sig=SECRET', { lookup }));
    expect(error.message).toBe('image URL resolves to a non-public address (10.0.0.5, private); only public addresses are fetched');
    expect(asked).toEqual(['evil.test']);
    expect(sockets).toEqual([]);
  });

  it('refuses a name whose answers mix public and private addresses', async () => {
    const { asked, lookup } = recordingLookup(() => [
      { address: '93.184.216.34', family: 4 },
      { address: 'fd00::5', family: 6 },
    ]);
    const error = await refusal(safeFetchImage('https://mixed.test/x.png', { lookup }));
    expect(error.message).toMatch(/non-public address \(fd00::5, unique-local\)/);
    expect(asked).toEqual(['mixed.test']);
    expect(sockets).toEqual([]);
  });

  it('refuses a name that does not resolve', async () => {
    const lookup = async () => Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }));
    expect((await refusal(safeFetchImage('http://nowhere.test/x.png', { lookup }))).message).toBe('image URL host nowhere.test does not resolve');
    expect(sockets).toEqual([]);
  });

  it.each(['file:///etc/passwd', 'ftp://example.com/x.png', 'data:image/png;base64,AAAA', 'gopher://example.com/', 'javascript:alert(1)'])(
    'refuses the scheme of %s',
    async (url) => {
      const { asked, lookup } = recordingLookup(() => []);
      expect((await refusal(safeFetchImage(url, { lookup }))).message).toMatch(/^image URL must be http or https, not \w+$/);
      expect(asked).toEqual([]);
      expect(sockets).toEqual([]);
    },
  );

  it('refuses URLs with credentials and URLs that do not parse', async () => {
    const { asked, lookup } = recordingLookup(() => [{ address: '93.184.216.34', family: 4 }]);
    const error = await refusal(safeFetchImage('https://user:hunter2@example.com/x.png', { lookup }));
    expect(error.message).toMatch(/contains credentials/);
    expect(error.message).not.toContain('hunter2');
    expect((await refusal(safeFetchImage('not a url', { lookup }))).message).toBe('image URL is not a valid URL');
    expect(asked).toEqual([]);
    expect(sockets).toEqual([]);
  });

  it('names the request field and never echoes the query string', async () => {
    const error = await refusal(safeFetchImage('http://10.0.0.5/x.png?X-Amz-Signature=SECRET', { field: 'mask' }));
    expect(error.field).toBe('mask');
    expect(error.message).toMatch(/^mask: image URL resolves to a non-public address \(10\.0\.0\.5, private\)/);
    expect(error.message).not.toContain('SECRET');
  });
});

describe('safeFetchImage: DNS rebinding', () => {
  it('connects to the vetted address even if DNS would now answer differently, keeping the Host header', async () => {
    const { asked, lookup } = recordingLookup((call) => [{ address: call === 1 ? '127.0.0.1' : '10.0.0.5', family: 4 }]);
    const got = await safeFetchImage(`http://rebind.test:${port}/image.png`, { lookup, isAllowedAddress: onlyMain });
    expect(Buffer.from(got.bytes).equals(png)).toBe(true);
    expect(asked).toEqual(['rebind.test']); // resolved once: the connection never asked again
    expect(connections()).toEqual([`127.0.0.1:${port}`]);
    expect(seen[0]?.headers.host).toBe(`rebind.test:${port}`);
  });
});

describe('safeFetchImage: redirects', () => {
  it('re-checks the address of every hop: another loopback port is refused before it is contacted', async () => {
    const error = await refusal(safeFetchImage(`http://127.0.0.1:${port}/to-other`, { isAllowedAddress: onlyMain }));
    expect(error.message).toBe(
      `image URL redirect to http://127.0.0.1:${otherPort}/image.png resolves to a loopback address (127.0.0.1) on port ${otherPort}, which is not allowed`,
    );
    expect(otherHits).toBe(0);
    expect(connections()).toEqual([`127.0.0.1:${port}`]);
  });

  it('refuses a redirect to a private address before connecting, without echoing its query', async () => {
    const error = await refusal(safeFetchImage(`http://127.0.0.1:${port}/to-private`, { isAllowedAddress: onlyMain }));
    expect(error.message).toBe(
      'image URL redirect to http://10.0.0.1/latest/meta-data resolves to a private address (10.0.0.1) on port 80, which is not allowed',
    );
    expect(connections()).toEqual([`127.0.0.1:${port}`]);
  });

  it('refuses redirects to other schemes and to URLs with credentials', async () => {
    expect((await refusal(safeFetchImage(`http://127.0.0.1:${port}/to-file`, { isAllowedAddress: onlyMain }))).message).toMatch(
      /redirect to .* must be http or https, not file/,
    );
    expect((await refusal(safeFetchImage(`http://127.0.0.1:${port}/to-credentials`, { isAllowedAddress: onlyMain }))).message).toMatch(/contains credentials/);
    expect(seen.map((r) => r.url)).toEqual(['/to-file', '/to-credentials']);
  });

  it('stops after maxRedirects hops', async () => {
    const error = await refusal(safeFetchImage(`http://127.0.0.1:${port}/loop`, { isAllowedAddress: onlyMain }));
    expect(error.message).toBe('image URL redirects more than 3 times');
    expect(seen).toHaveLength(4);
    await refusal(safeFetchImage(`http://127.0.0.1:${port}/chain/1`, { isAllowedAddress: onlyMain, maxRedirects: 0 }));
  });
});

describe('safeFetchImage: size, time and type', () => {
  it('cuts a body off mid-stream once it passes maxBytes', async () => {
    endlessClosed = false;
    const error = await refusal(safeFetchImage(`http://127.0.0.1:${port}/endless`, { isAllowedAddress: onlyMain, maxBytes: 256 * 1024, timeoutMs: 5_000 }));
    expect(error.message).toBe('image is larger than 262144 bytes');
    await expect.poll(() => endlessClosed).toBe(true);
  });

  it('refuses a declared content-length over the limit without reading the body', async () => {
    const started = Date.now();
    const error = await refusal(safeFetchImage(`http://127.0.0.1:${port}/declared-huge`, { isAllowedAddress: onlyMain, timeoutMs: 5_000 }));
    expect(error.message).toBe(`image is larger than ${20 * 1024 * 1024} bytes`);
    expect(Date.now() - started).toBeLessThan(2_000); // the body stalls: only the header check answers this fast
  });

  it('gives up on a server that never answers, and on DNS that never answers, within timeoutMs', async () => {
    const started = Date.now();
    expect((await refusal(safeFetchImage(`http://127.0.0.1:${port}/hang`, { isAllowedAddress: onlyMain, timeoutMs: 200 }))).message).toBe(
      'image URL took longer than 200 ms to fetch',
    );
    const lookup = () => new Promise<never>(() => undefined);
    expect((await refusal(safeFetchImage('http://slow-dns.test/x.png', { lookup, timeoutMs: 100 }))).message).toBe(
      'image URL took longer than 100 ms to fetch',
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("keeps the caller's abort an AbortedError", async () => {
    const controller = new AbortController();
    const pending = safeFetchImage(`http://127.0.0.1:${port}/hang`, { isAllowedAddress: onlyMain, signal: controller.signal });
    await expect.poll(() => seen.length).toBe(1);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
  });

  it('refuses a non-image content type and a non-200 answer', async () => {
    expect((await refusal(safeFetchImage(`http://127.0.0.1:${port}/html`, { isAllowedAddress: onlyMain }))).message).toBe(
      'image URL sent text/html, not an image',
    );
    expect((await refusal(safeFetchImage(`http://127.0.0.1:${port}/missing?k=SECRET`, { isAllowedAddress: onlyMain }))).message).toBe(
      'image URL answered HTTP 404',
    );
  });

  it('reports a refused connection without the query string', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const error = await refusal(safeFetchImage(`http://127.0.0.1:${closedPort}/x.png?k=SECRET`, { isAllowedAddress: () => true }));
    expect(error.message).toBe(`could not fetch the image URL http://127.0.0.1:${closedPort}/x.png (ECONNREFUSED)`);
  });
});

describe('classifyAddress', () => {
  it('allows global unicast only', () => {
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '2a00:1450:4001:82a::200e', '64:ff9b::808:808']) expect(isPublicAddress(a)).toBe(true);
    const refused = [
      '10.1.2.3',
      '127.0.0.1',
      '169.254.169.254',
      '192.0.2.1',
      '240.0.0.1',
      '255.255.255.255',
      '::1',
      'fe80::1%eth0',
      'fd00:ec2::254',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::a00:1',
      '2002:a00:1::1',
      '2001:0:a00:1::1',
      '2001:db8::1',
      '64:ff9b::a00:1',
      'not an ip',
    ];
    for (const a of refused) expect([a, isPublicAddress(a)]).toEqual([a, false]);
  });

  it('labels what it refuses', () => {
    expect(classifyAddress('10.0.0.5')).toEqual({ public: false, label: 'private' });
    expect(classifyAddress('::ffff:192.168.0.1')).toEqual({ public: false, label: 'private' });
    expect(classifyAddress('2002:a00:1::1')).toEqual({ public: false, label: '6to4' });
    expect(classifyAddress('::a00:1')).toEqual({ public: false, label: 'non-global' });
  });
});
