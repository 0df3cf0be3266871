/** The control API under `/_sandbox/`: ledger, reset, faults, request log, webhooks. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { SandboxContext, SandboxEnv } from './context.js';
import { FaultProfileSchema } from './faults.js';

const FaultUpdateSchema = FaultProfileSchema.extend({
  /** `replace` drops the current profile first; default merges. */
  mode: z.enum(['merge', 'replace']).optional(),
  timeScale: z.number().min(0).max(100).optional(),
}).strict();

export function controlRoutes(ctx: SandboxContext, hooks: { setTimeScale: (scale: number) => void }): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();
  // The pid lets a client tell the sandbox recorded in a state folder from another that took its port.
  app.get('/health', (c) =>
    c.json({ ok: true, pid: process.pid, timeScale: ctx.timeScale(), note: 'easel sandbox: images are procedurally drawn placeholders' }),
  );
  app.get('/ledger', (c) => c.json(ctx.ledger.toJSON()));
  app.get('/requests', (c) => c.json({ requests: ctx.requests }));
  app.get('/webhooks', (c) => c.json({ deliveries: ctx.webhooks.list() }));
  app.get('/faults', (c) => c.json({ injected: Object.fromEntries(ctx.faults.injected) }));
  app.post('/reset', (c) => {
    ctx.ledger.reset();
    ctx.requests.length = 0;
    ctx.faults.configure({});
    ctx.faults.injected.clear();
    ctx.limits.reset();
    ctx.webhooks.reset();
    return c.json({ ok: true });
  });
  app.post('/faults', async (c) => {
    const body = await c.req.json().catch(() => undefined);
    const parsed = FaultUpdateSchema.safeParse(body);
    if (!parsed.success) {
      return c.json({ error: 'invalid fault profile', issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) }, 400);
    }
    const { mode, timeScale, ...profile } = parsed.data;
    if (mode === 'replace') ctx.faults.configure(profile);
    else ctx.faults.merge(profile);
    if (timeScale !== undefined) hooks.setTimeScale(timeScale);
    return c.json({ ok: true });
  });
  return app;
}
