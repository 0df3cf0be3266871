/**
 * Authentication: with no key created the gateway is open (and `easel serve` binds loopback only);
 * once a key exists every call needs `Authorization: Bearer <key>`. Per-key request rates are
 * counted here in a sliding minute.
 */
import type { MiddlewareHandler } from 'hono';
import type { GatewayDeps, GatewayEnv } from '../context.js';
import { GatewayError } from '../../http/errors.js';

export function authMiddleware(deps: GatewayDeps): MiddlewareHandler<GatewayEnv> {
  const windows = new Map<string, number[]>();
  return async (c, next) => {
    if (!deps.keys.hasActiveKeys()) {
      c.set('key', undefined);
      return next();
    }
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match)
      throw new GatewayError(401, 'You didn’t provide an API key. Send your gateway key as `Authorization: Bearer <key>`.', { code: 'missing_api_key' });
    const key = deps.keys.authenticate(match[1]!);
    if (!key) throw new GatewayError(401, 'Incorrect API key provided.', { code: 'invalid_api_key' });
    if (key.requestsPerMinute) {
      const now = Date.now();
      const stamps = (windows.get(key.id) ?? []).filter((t) => t > now - 60_000);
      if (stamps.length >= key.requestsPerMinute) {
        const retry = Math.ceil((stamps[0]! + 60_000 - now) / 1000);
        throw new GatewayError(429, `Rate limit reached for key ${key.prefix}…: ${key.requestsPerMinute} requests per minute.`, {
          type: 'rate_limit_error',
          code: 'rate_limit_exceeded',
          headers: { 'retry-after': String(retry) },
        });
      }
      stamps.push(now);
      windows.set(key.id, stamps);
    }
    c.set('key', key);
    return next();
  };
}
