/** `/v1/files`: upload (multipart `content` + optional `metadata` JSON part), get, download, list, delete. */
import { Hono, type MiddlewareHandler } from 'hono';
import type { SandboxEnv } from '../context.js';
import { sniffMediaType } from '../../core/media-type.js';
import type { ReplicateEngine } from './engine.js';
import { problem } from './problems.js';
import { fileJson } from './uploads.js';

/** Replicate's own upload limit for the files API. */
const MAX_FILE_BYTES = 100 * 1024 * 1024;

export function filesRoutes(engine: ReplicateEngine, gate: MiddlewareHandler<SandboxEnv>): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();
  app.use('*', gate);
  app.post('/', async (c) => {
    const form = await c.req.parseBody().catch(() => undefined);
    const content = form?.content;
    if (!(content instanceof File))
      return problem(c, { status: 400, detail: 'Missing file: send multipart/form-data with the file in a part named "content".' });
    if (content.size > MAX_FILE_BYTES) return problem(c, { status: 413, detail: `File is larger than ${MAX_FILE_BYTES} bytes.` });
    const bytes = new Uint8Array(await content.arrayBuffer());
    const declared = content.type && content.type !== 'application/octet-stream' ? content.type : undefined;
    const sniffed = sniffMediaType(bytes);
    const contentType = declared ?? (sniffed === 'application/octet-stream' ? 'application/octet-stream' : sniffed);
    const file = engine.uploads.put(bytes, contentType, content.name || 'file', await readMetadata(form?.metadata));
    return c.json(fileJson(file, engine.apiBase()), 201);
  });
  app.get('/', (c) => c.json({ next: null, previous: null, results: engine.uploads.list().map((f) => fileJson(f, engine.apiBase())) }));
  app.get('/:id', (c) => {
    const file = engine.uploads.get(c.req.param('id'));
    return file ? c.json(fileJson(file, engine.apiBase())) : problem(c, { status: 404, detail: 'The requested resource could not be found.' });
  });
  app.get('/:id/download', (c) => {
    const file = engine.uploads.get(c.req.param('id'));
    return file
      ? c.body(Buffer.from(file.bytes), 200, { 'content-type': file.contentType })
      : problem(c, { status: 404, detail: 'The requested resource could not be found.' });
  });
  app.delete('/:id', (c) =>
    engine.uploads.delete(c.req.param('id')) ? c.body(null, 204) : problem(c, { status: 404, detail: 'The requested resource could not be found.' }),
  );
  return app;
}

async function readMetadata(part: unknown): Promise<unknown> {
  const text = part instanceof File ? await part.text() : typeof part === 'string' ? part : undefined;
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
