/** Reads and validates a config file; errors name the file and the offending field. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidRequestError } from '../core/errors.js';
import { type EaselConfig, EaselConfigSchema } from './schema.js';

export const DEFAULT_CONFIG_FILE = 'easel.config.json';

/** `path`, else $EASEL_CONFIG, else ./easel.config.json when present, else `{}`. */
export function loadConfigFile(path?: string, env: NodeJS.ProcessEnv = process.env): EaselConfig {
  const chosen = path ?? env.EASEL_CONFIG ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (!chosen) return {};
  const full = resolve(chosen);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(full, 'utf8'));
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not valid JSON';
    throw new InvalidRequestError(`config file ${full} ${why}`, { field: 'config' });
  }
  return parseConfig(raw, full);
}

export function parseConfig(raw: unknown, where = 'config'): EaselConfig {
  const parsed = EaselConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(root)';
    throw new InvalidRequestError(`${where}: ${field}: ${issue.message}`, { field: `config.${field}` });
  }
  return parsed.data;
}
