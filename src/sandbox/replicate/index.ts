/**
 * The Replicate sandbox, mounted at `/replicate` (so clients use `baseUrl: <root>/replicate/v1`):
 * predictions (both create paths, `Prefer: wait`, get, cancel, list), file uploads, and the
 * default webhook secret. See protocols.md section 3.
 */
import { Hono } from 'hono';
import type { SandboxContext, SandboxEnv } from '../context.js';
import { createPrediction } from './create.js';
import { ReplicateEngine } from './engine.js';
import { filesRoutes } from './files-routes.js';
import { modelByName, modelByVersion } from './models.js';
import { predictionJson } from './prediction.js';
import { problem, replicateGate } from './problems.js';

const PAGE_SIZE = 100;

export function replicateSandbox(ctx: SandboxContext): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();
  const engine = new ReplicateEngine(ctx);
  const gate = ctx.gate(replicateGate);
  const submitGate = ctx.gate(replicateGate, { submit: true });
  const pollGate = ctx.gate(replicateGate, { kind: 'poll' });

  app.post('/v1/predictions', submitGate, (c) =>
    createPrediction(c, ctx, engine, (body) =>
      typeof body.version === 'string' && body.version
        ? modelByVersion(body.version)
        : { type: 'required', field: 'version', description: "version is required (a version id, owner/name:version, or an official model's owner/name)" },
    ),
  );
  app.post('/v1/models/:owner/:name/predictions', submitGate, (c) =>
    createPrediction(c, ctx, engine, () => modelByName(c.req.param('owner'), c.req.param('name'))),
  );

  app.get('/v1/predictions', gate, (c) => {
    const all = engine.list();
    const offset = Math.max(0, Number.parseInt(Buffer.from(c.req.query('cursor') ?? '', 'base64url').toString() || '0', 10) || 0);
    const page = all.slice(offset, offset + PAGE_SIZE);
    const link = (at: number) => `${engine.apiBase()}/predictions?cursor=${Buffer.from(String(at)).toString('base64url')}`;
    return c.json({
      next: offset + PAGE_SIZE < all.length ? link(offset + PAGE_SIZE) : null,
      previous: offset > 0 ? link(Math.max(0, offset - PAGE_SIZE)) : null,
      results: page.map((p) => predictionJson(p, engine.apiBase())),
    });
  });
  app.get('/v1/predictions/:id', pollGate, (c) => {
    const p = engine.get(c.req.param('id'));
    if (!p) return problem(c, { status: 404, detail: 'The requested resource could not be found.' });
    return c.json(predictionJson(p, engine.apiBase()));
  });
  app.post('/v1/predictions/:id/cancel', gate, (c) => {
    const p = engine.get(c.req.param('id'));
    if (!p) return problem(c, { status: 404, detail: 'The requested resource could not be found.' });
    engine.cancel(p);
    return c.json(predictionJson(p, engine.apiBase()));
  });

  app.route('/v1/files', filesRoutes(engine, gate));
  app.get('/v1/webhooks/default/secret', gate, (c) => c.json({ key: engine.signer.secret }));

  app.all('*', gate, (c) => problem(c, { status: 404, detail: `The sandbox has no Replicate route for ${c.req.method} ${new URL(c.req.url).pathname}.` }));
  return app;
}
