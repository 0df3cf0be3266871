/**
 * Batch jobs over HTTP: `POST /v1/jobs` starts a durable job (the same engine as `easel batch`),
 * `GET /v1/jobs/:id` reports its counts and the results finished so far, images as URLs. A job
 * records the key that started it (keys see only their own jobs, and never a CLI batch sharing the
 * store), and jobs a stopped gateway left unfinished are resumed when it starts again.
 */
import { Hono } from 'hono';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newJobId } from '../../batch/open-job.js';
import type { Job } from '../../batch/types.js';
import type { ImageRequest } from '../../core/request.js';
import type { GatewayDeps, GatewayEnv } from '../context.js';
import { readJsonObject } from '../../http/body.js';
import { GatewayError } from '../../http/errors.js';
import { InvalidRequestError } from '../../core/errors.js';
import { parseRequest } from '../../easel.js';
import { type ImageInputPolicy, imageInputPolicy } from '../inputs/policy.js';
import { clientProviderOptionUrls } from '../inputs/vendor-options.js';

const MAX_ITEMS = 10_000;
/** The fields of an easel request that carry an input image. */
const IMAGE_FIELDS = ['image', 'mask'] as const;
/** Image URL hosts looked up at once while a job is checked. */
const VET_CONCURRENCY = 8;
/** The CLI's `--concurrency` bound. */
const MAX_CONCURRENCY = 10_000;
const SOURCE_PREFIX = 'gateway:';

/** The job's `source`: which gateway key started it (`open` when the gateway has no keys). */
const ownerSource = (keyId: string | undefined) => `${SOURCE_PREFIX}${keyId ?? 'open'}`;

function jobsDir(deps: GatewayDeps): string {
  return deps.jobsDir ?? join(tmpdir(), 'easel-gateway-jobs');
}

/**
 * Items' images are read by the gateway's input policy when each item runs (URLs fetched SSRF-safely,
 * never a path), on the first run and on every resume: the stored items keep the client's text.
 */
const jobImages = (deps: GatewayDeps): ImageInputPolicy => imageInputPolicy({ isAllowedAddress: deps.isAllowedImageAddress });

/**
 * Every item is a valid easel request, or the job is refused before anything is stored or held:
 * a 400 naming the item and field, as the same item would get from the native API.
 */
function checkItemFields(items: readonly Record<string, unknown>[]): void {
  items.forEach((item, index) => {
    try {
      parseRequest(item as ImageRequest);
    } catch (error) {
      if (!(error instanceof InvalidRequestError)) throw error;
      const field = `items[${index}].${error.field ?? ''}`.replace(/\.$/, '');
      throw new GatewayError(400, `items[${index}]: ${error.message}`, { code: 'invalid_value', param: field });
    }
  });
}

/**
 * Refuses a job whose items name an image the policy would refuse, before anything is stored or
 * bought (400 naming the item and field). Each URL host is looked up once, a few at a time; what
 * only a fetch can show (a redirect) is refused when the item runs.
 */
async function checkItemImages(items: readonly Record<string, unknown>[], policy: ImageInputPolicy): Promise<void> {
  const hosts = new Map<string, string>();
  items.forEach((item, index) => {
    for (const field of IMAGE_FIELDS) {
      const value = item[field];
      if (value === undefined) continue;
      const where = `items[${index}].${field}`;
      policy.check(value, where);
      const origin = /^https?:\/\//i.test(value as string) ? originOf(value as string) : undefined;
      if (origin !== undefined && !hosts.has(origin)) hosts.set(origin, where);
    }
    for (const [url, where] of clientProviderOptionUrls(item.providerOptions, `items[${index}].providerOptions`, policy)) {
      const origin = originOf(url);
      if (!hosts.has(origin)) hosts.set(origin, where);
    }
  });
  const pending = [...hosts];
  const worker = async () => {
    for (let next = pending.shift(); next; next = pending.shift()) await policy.vet(next[0], next[1]);
  };
  await Promise.all(Array.from({ length: Math.min(VET_CONCURRENCY, pending.length) }, worker));
}

/** `scheme://host:port`, which is all a vetting looks at; an unparsable URL stands for itself (and is refused). */
function originOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.username || parsed.password ? url : `${parsed.protocol}//${parsed.host}/`;
  } catch {
    return url;
  }
}

/**
 * Books a job run's spend against the key that holds its budget, when the run ends: all of it once
 * the job is finished (the unspent rest goes back to the key); so far, keeping the rest held, when
 * it stopped unfinished (a stopping gateway) and will be resumed. The store's figure is the job's
 * total over all its runs, and the key store books only what it has not booked yet, so a restart
 * never books a job twice nor releases another job's hold.
 */
function settleWhenDone(deps: GatewayDeps, jobId: string, done: Promise<unknown>): void {
  const book = async () => {
    try {
      const store = deps.easel.jobStore();
      const { spentUsd } = await store.counts(jobId);
      const job = await store.getJob(jobId);
      deps.keys.bookJob(jobId, spentUsd, job?.status !== 'running');
    } catch {
      // The stores were closed under a run that ended with the gateway: the hold stays recorded and
      // the next start books it (resumeGatewayJobs), so nothing is lost by not booking it now.
    }
  };
  void done.then(book, book);
}
/**
 * The jobs a stopped gateway left unfinished. Read before the gateway takes requests, so a job a new
 * request starts meanwhile is never taken for one of them, nor its hold for a stale one. Holds whose
 * job ended before the gateway stopped (or was never created: it stopped while opening it) are booked here.
 */
export async function unfinishedGatewayJobs(deps: GatewayDeps): Promise<Job[]> {
  const store = deps.easel.jobStore();
  const unfinished = (await store.listJobs()).filter((job) => job.status === 'running' && job.source.startsWith(SOURCE_PREFIX));
  for (const jobId of deps.keys.jobHolds()) {
    const job = await store.getJob(jobId);
    if (job?.status !== 'running') deps.keys.bookJob(jobId, job ? (await store.counts(jobId)).spentUsd : 0, true);
  }
  return unfinished;
}

/** Picks up the jobs a stopped gateway left unfinished (their vendor jobs are polled, not paid again). */
export async function resumeGatewayJobs(deps: GatewayDeps, unfinished: readonly Job[]): Promise<string[]> {
  const images = jobImages(deps);
  for (const job of unfinished) {
    // The job keeps its stored budget (the engine reads it back): it cannot spend more than its key holds for it.
    const run = await deps.easel.batch([], {
      outDir: job.outDir,
      jobId: job.id,
      readImage: images.read,
      ...(deps.completions ? { webhooks: { completions: deps.completions } } : {}),
    });
    settleWhenDone(deps, job.id, run.done);
  }
  return unfinished.map((job) => job.id);
}

export function jobsRoutes(deps: GatewayDeps, outRoot: () => string = () => join(jobsDir(deps), randomUUID())): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const images = jobImages(deps);
  /** The job, if the caller's key started it through this gateway; else the same 404 as no job at all. */
  const ownJob = async (id: string, keyId: string | undefined): Promise<Job> => {
    const job = await deps.easel.jobStore().getJob(id);
    if (!job || job.source !== ownerSource(keyId)) throw new GatewayError(404, `No job ${id}.`, { code: 'job_not_found' });
    return job;
  };

  app.post('/', async (c) => {
    const body: { items?: unknown; model?: unknown; budgetUsd?: unknown; concurrency?: unknown } = await readJsonObject(c, 'a job: { items: [...] }');
    if (!Array.isArray(body.items) || body.items.length === 0 || body.items.length > MAX_ITEMS) {
      throw new GatewayError(400, `'items' must be an array of 1 to ${MAX_ITEMS} easel requests.`, { code: 'invalid_value', param: 'items' });
    }
    if (body.items.some((item) => typeof item !== 'object' || item === null || Array.isArray(item))) {
      throw new GatewayError(400, "each of 'items' must be an object (an easel request: prompt, model, size …).", { code: 'invalid_value', param: 'items' });
    }
    checkItemFields(body.items as Record<string, unknown>[]);
    if (
      body.concurrency !== undefined &&
      !(Number.isInteger(body.concurrency) && (body.concurrency as number) >= 1 && (body.concurrency as number) <= MAX_CONCURRENCY)
    ) {
      throw new GatewayError(400, `'concurrency' must be a whole number from 1 to ${MAX_CONCURRENCY} (items in flight at once).`, {
        code: 'invalid_value',
        param: 'concurrency',
      });
    }
    const key = c.get('key');
    const allowed = key?.allowedModels;
    if (allowed) {
      if (typeof body.model !== 'string' || !allowed.includes(body.model)) {
        throw new GatewayError(403, `This key may start jobs only with one of its models as 'model': ${allowed.join(', ')}.`, {
          code: 'model_not_allowed',
          param: 'model',
        });
      }
      // An item's own model or routing targets win over the job's: they must keep to the key's models too.
      (body.items as Record<string, unknown>[]).forEach((item, index) => {
        if (
          (item.model !== undefined && !allowed.includes(item.model as string)) ||
          (item.policy as { targets?: unknown } | undefined)?.targets !== undefined
        ) {
          throw new GatewayError(
            403,
            `items[${index}]: this key may use only its models (${allowed.join(', ')}); give them as the job's 'model', not per item or as routing targets.`,
            { code: 'model_not_allowed', param: `items[${index}].model` },
          );
        }
      });
    }
    if (body.budgetUsd !== undefined && !(typeof body.budgetUsd === 'number' && Number.isFinite(body.budgetUsd) && body.budgetUsd > 0)) {
      // A negative figure would otherwise be "reserved" from the key and raise what it may spend.
      throw new GatewayError(400, "'budgetUsd' must be a positive number of US dollars.", { code: 'invalid_value', param: 'budgetUsd' });
    }
    const budget = body.budgetUsd as number | undefined;
    if (key?.budgetUsd !== undefined && key?.budgetUsd !== null && budget === undefined) {
      throw new GatewayError(400, "This key has a budget: give the job a 'budgetUsd' within it.", { code: 'missing_required_parameter', param: 'budgetUsd' });
    }
    // Last of the checks: it looks hosts up, which the refusals above need not wait for.
    await checkItemImages(body.items as Record<string, unknown>[], images);
    const held = key && key.budgetUsd !== null && budget !== undefined;
    // The job's whole budget is held from the key up front: the engine's own Budget caps what the job
    // spends at budgetUsd (every paid attempt booked), so the key can never be passed by it.
    if (held && !deps.keys.reserve(key.id, budget)) {
      throw new GatewayError(402, `This key's budget cannot cover a $${budget} job.`, { type: 'insufficient_quota', code: 'insufficient_quota' });
    }
    // The hold is tied to the job's id in the same tick as the reservation (no await between), before
    // the job exists: a gateway stopped at any point finds the hold on its next start and books it.
    const jobId = newJobId();
    if (held) deps.keys.holdForJob(key.id, jobId, budget);
    let run;
    try {
      run = await deps.easel.batch(body.items as ImageRequest[], {
        newJobId: jobId,
        outDir: outRoot(),
        source: ownerSource(key?.id),
        model: typeof body.model === 'string' ? body.model : undefined,
        budgetUsd: budget,
        concurrency: typeof body.concurrency === 'number' ? body.concurrency : undefined,
        readImage: images.read,
        ...(deps.completions ? { webhooks: { completions: deps.completions } } : {}),
      });
    } catch (error) {
      // Nothing ran: the whole hold goes back to the key.
      if (held) deps.keys.bookJob(jobId, 0, true);
      throw error;
    }
    settleWhenDone(deps, run.job.id, run.done);
    return c.json({ id: run.job.id, object: 'job', status: 'running', items: body.items.length }, 202);
  });

  app.get('/:id', async (c) => {
    const id = c.req.param('id');
    const job = await ownJob(id, c.get('key')?.id);
    const store = deps.easel.jobStore();
    const results = (await store.items(id, ['succeeded', 'failed', 'skipped'])).map((item) => ({
      index: item.index,
      status: item.status,
      model: item.output?.model,
      costUsd: item.costUsd,
      images:
        item.output?.files.map((file, k) => ({ url: `${deps.publicUrl()}/v1/jobs/${id}/files/${encodeURIComponent(file)}`, sha256: item.output!.sha256[k] })) ??
        [],
      error: item.error,
    }));
    return c.json({ id, object: 'job', status: job.status, counts: await store.counts(id), results });
  });
  app.get('/:id/files/:name', async (c) => {
    const id = c.req.param('id');
    const name = c.req.param('name');
    const job = await ownJob(id, c.get('key')?.id);
    // Only names the job itself wrote: a request can never reach outside the job's folder.
    const known = (await deps.easel.jobStore().items(id, ['succeeded'])).some((item) => item.output?.files.includes(name));
    if (!known) throw new GatewayError(404, `Job ${id} has no file ${name}.`, { code: 'file_not_found' });
    const bytes = await readFile(join(job.outDir, name));
    return c.body(bytes, 200, { 'content-type': name.endsWith('.png') ? 'image/png' : name.endsWith('.webp') ? 'image/webp' : 'image/jpeg' });
  });
  return app;
}
