/**
 * Structured request logs (pino). Keys and prompts never reach them: only method, route, status,
 * timing, the model that ran and its cost are logged, and auth headers are redacted should a caller
 * ever log a request object through this logger.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { ServerResponse } from 'node:http';
import { pino, type Logger } from 'pino';

/**
 * Standard error through pino's own destination (sonic-boom), synchronous: one blocking write of a
 * line costs ~2 µs here, while the asynchronous mode sends each write through libuv's thread pool
 * (~70 µs and a thread wake-up per line when traffic is light enough not to coalesce).
 */
export function stderrDestination(): pino.DestinationStream {
  return pino.destination({ dest: 2, sync: true });
}

export function createLogger(destination?: NodeJS.WritableStream | pino.DestinationStream): Logger {
  return pino(
    {
      name: 'easel-gateway',
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', '*.apiKey', '*.key', 'headers.authorization'], censor: '[redacted]' },
    },
    destination as pino.DestinationStream | undefined,
  );
}

export function requestLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    logger.info({
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
      model: responseHeader(c, 'x-easel-model'),
      costUsd: responseHeader(c, 'x-easel-cost-usd'),
    });
  };
}

/** A header of the answer, also when a route wrote it straight to Node's response (forwarding). */
function responseHeader(c: Context, name: string): string | undefined {
  const value = c.res.headers.get(name) ?? (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing?.getHeader(name);
  return value === undefined || value === null ? undefined : String(value);
}
