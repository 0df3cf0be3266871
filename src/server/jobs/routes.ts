/**
 * Batch jobs over HTTP: `POST /v1/jobs` starts a durable job (the same engine as `easel batch`),
 * `GET /v1/jobs/:id` reports its counts and the results finished so far, images as URLs.
 */
import { Hono } from 'hono';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { ImageRequest } from '../../core/request.js';
import type { GatewayDeps, GatewayEnv } from '../context.js';
import { GatewayError } from '../errors.js';

const MAX_ITEMS = 10_000;

export function jobsRoutes(deps: GatewayDeps, outRoot: () => string = () => mkdtempSync(join(tmpdir(), 'easel-jobs-'))): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  /** Jobs started by this gateway, by id → the key that owns them (keys see only their own jobs). */
  const owners = new Map<string, string | undefined>();

  app.post('/', async (c) => {
    let body: { items?: unknown; model?: unknown; budgetUsd?: unknown; concurrency?: unknown };
    try {
      body = (await c.req.json()) as typeof body;
    } catch {
      throw new GatewayError(400, 'We could not parse the JSON body of your request.', 'invalid_request_error', 'invalid_json');
    }
    if (!Array.isArray(body.items) || body.items.length === 0 || body.items.length > MAX_ITEMS) {
      throw new GatewayError(400, `'items' must be an array of 1 to ${MAX_ITEMS} easel requests.`, 'invalid_request_error', 'invalid_value', 'items');
    }
    if (body.items.some((item) => typeof item !== 'object' || item === null || Array.isArray(item))) {
      throw new GatewayError(400, "each of 'items' must be an object (an easel request: prompt, model, size …).", 'invalid_request_error', 'invalid_value', 'items');
    }
    const key = c.get('key');
    if (key?.allowedModels && (typeof body.model !== 'string' || !key.allowedModels.includes(body.model))) {
      throw new GatewayError(403, `This key may start jobs only with one of its models as 'model': ${key.allowedModels.join(', ')}.`, 'invalid_request_error', 'model_not_allowed', 'model');
    }
    const budget = typeof body.budgetUsd === 'number' ? body.budgetUsd : undefined;
    if (key?.budgetUsd !== undefined && key?.budgetUsd !== null && budget === undefined) {
      throw new GatewayError(400, "This key has a budget: give the job a 'budgetUsd' within it.", 'invalid_request_error', 'missing_required_parameter', 'budgetUsd');
    }
    if (key?.budgetUsd !== undefined && key?.budgetUsd !== null && budget !== undefined && !deps.keys.reserve(key.id, budget)) {
      throw new GatewayError(402, `This key's budget cannot cover a $${budget} job.`, 'insufficient_quota', 'insufficient_quota');
    }
    const run = deps.easel.batch(body.items as ImageRequest[], {
      outDir: outRoot(),
      source: 'gateway',
      model: typeof body.model === 'string' ? body.model : undefined,
      budgetUsd: budget,
      concurrency: typeof body.concurrency === 'number' ? body.concurrency : undefined,
      ...(deps.completions ? { webhooks: { completions: deps.completions } } : {}),
    });
    owners.set(run.job.id, key?.id);
    run.done
      .then((final) => {
        if (key && budget !== undefined) deps.keys.settle(key.id, budget, final.spentUsd);
      })
      .catch(() => undefined);
    return c.json({ id: run.job.id, object: 'job', status: 'running', items: body.items.length }, 202);
  });

  app.get('/:id', (c) => {
    const id = c.req.param('id');
    const job = deps.easel.jobStore().getJob(id);
    if (!job || (owners.has(id) && owners.get(id) !== c.get('key')?.id)) throw new GatewayError(404, `No job ${id}.`, 'invalid_request_error', 'job_not_found');
    const store = deps.easel.jobStore();
    const results = store.items(id, ['succeeded', 'failed', 'skipped']).map((item) => ({
      index: item.index,
      status: item.status,
      model: item.output?.model,
      costUsd: item.costUsd,
      images: item.output?.files.map((file, k) => ({ url: `${deps.publicUrl()}/v1/jobs/${id}/files/${encodeURIComponent(file)}`, sha256: item.output!.sha256[k] })) ?? [],
      error: item.error,
    }));
    return c.json({ id, object: 'job', status: job.status, counts: store.counts(id), results });
  });
  app.get('/:id/files/:name', async (c) => {
    const id = c.req.param('id');
    const name = c.req.param('name');
    const job = deps.easel.jobStore().getJob(id);
    if (!job || (owners.has(id) && owners.get(id) !== c.get('key')?.id)) throw new GatewayError(404, `No job ${id}.`, 'invalid_request_error', 'job_not_found');
    // Only names the job itself wrote: a request can never reach outside the job's folder.
    const known = deps.easel.jobStore().items(id, ['succeeded']).some((item) => item.output?.files.includes(name));
    if (!known) throw new GatewayError(404, `Job ${id} has no file ${name}.`, 'invalid_request_error', 'file_not_found');
    const bytes = await readFile(join(job.outDir, name));
    return c.body(bytes, 200, { 'content-type': name.endsWith('.png') ? 'image/png' : name.endsWith('.webp') ? 'image/webp' : 'image/jpeg' });
  });
  return app;
}
