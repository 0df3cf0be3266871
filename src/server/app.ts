/**
 * The HTTP gateway: OpenAI-compatible images API, easel's native API, files, health and metrics,
 * one error envelope everywhere. Route groups are mounted here and know nothing of each other.
 */
import { Hono } from 'hono';
import { routePath } from 'hono/route';
import { bodySizeLimit } from '../http/body.js';
import { authMiddleware } from './auth/middleware.js';
import type { GatewayDeps, GatewayEnv } from './context.js';
import { GatewayError, renderError } from '../http/errors.js';
import { missingFileMessage } from './files/store.js';
import { requestLog } from './log.js';
import { openaiRoutes } from './openai/routes.js';
import { jobsRoutes } from './jobs/routes.js';
import { nativeRoutes } from './native/routes.js';
import { webhookRoutes } from '../webhooks/routes.js';

export function createGatewayApp(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.onError((error, c) => renderError(c, error));
  app.notFound((c) =>
    renderError(c, new GatewayError(404, `Unknown route ${c.req.method} ${c.req.path}. The images API lives under /v1/images/.`, { code: 'unknown_url' })),
  );
  app.use('*', async (c, next) => {
    await next();
    // The last route matched (a registered pattern, `/*` for an unknown path), never the raw path: a
    // client sending random paths must not add a metrics series per path.
    deps.metrics.recordRequest(routePath(c, -1) || '/*', c.res.status);
  });
  if (deps.logger) app.use('*', requestLog(deps.logger));

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', (c) => c.json({ ready: true }));
  app.get('/metrics', async (c) => c.text(await deps.metrics.render(), 200, { 'content-type': deps.metrics.registry.contentType }));
  app.get('/v1/files/:id', (c) => {
    const held = deps.files.lookup(c.req.param('id'));
    if ('missing' in held) throw new GatewayError(404, missingFileMessage(held.missing, deps.files), { code: 'file_not_found' });
    return c.body(Buffer.from(held.found.bytes), 200, { 'content-type': held.found.mediaType, 'cache-control': 'private, max-age=3600' });
  });

  const limit = bodySizeLimit(deps.maxBodyBytes);
  // Vendors sign their webhooks; they carry no gateway key.
  app.route('/v1/webhooks', webhookRoutes(deps.webhooks ?? {}));
  app.use('/v1/*', limit, authMiddleware(deps));
  app.route('/v1', openaiRoutes(deps));
  app.route('/v1/easel', nativeRoutes(deps));
  app.route('/v1/jobs', jobsRoutes(deps));
  return app;
}
