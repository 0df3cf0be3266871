/**
 * The least any gateway can do, as a yardstick for bench/gateway.ts: forward the request body to the
 * sandbox's OpenAI images endpoint and stream the answer back, parsing nothing. What it adds over a
 * direct call is what the extra hop alone costs on this machine.
 * Run: npx tsx bench/passthrough-proxy.ts SANDBOX_URL (prints "listening on URL")
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

const target = `${process.argv[2]!.replace(/\/+$/, '')}/openai/v1/images/generations`;
const pool = new Agent({ keepAliveTimeout: 30_000 });

const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const upstream = await request(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
    body: Buffer.concat(chunks),
    dispatcher: pool,
  });
  res.writeHead(upstream.statusCode, { 'content-type': 'application/json' });
  for await (const chunk of upstream.body) res.write(chunk);
  res.end();
});
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
