/** Strict parsing of `providerOptions.<vendor>`: a misspelt option fails loudly, naming what is allowed. */
import type { z } from 'zod';
import { InvalidRequestError } from '../core/errors.js';

export function parseVendorOptions<S extends z.ZodObject>(schema: S, raw: Record<string, unknown>, vendor: string, model: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw new InvalidRequestError(
      `${vendor}: unknown providerOptions.${vendor} option ${issue.keys.join(', ')}; allowed: ${Object.keys(schema.shape).join(', ')}`,
      {
        model,
        provider: vendor,
        field: `providerOptions.${vendor}.${issue.keys[0]}`,
      },
    );
  }
  const where = issue.path.join('.');
  throw new InvalidRequestError(`${vendor}: providerOptions.${vendor}.${where}: ${issue.message}`, {
    model,
    provider: vendor,
    field: `providerOptions.${vendor}.${where}`,
  });
}
