/**
 * Structured request logs (pino). Keys and prompts never reach them: only method, route, status,
 * timing, the model that ran and its cost are logged, and auth headers are redacted should a caller
 * ever log a request object through this logger.
 */
import type { MiddlewareHandler } from 'hono';
import { pino, type Logger } from 'pino';

export function createLogger(destination?: NodeJS.WritableStream): Logger {
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
      model: c.res.headers.get('x-easel-model') ?? undefined,
      costUsd: c.res.headers.get('x-easel-cost-usd') ?? undefined,
    });
  };
}
