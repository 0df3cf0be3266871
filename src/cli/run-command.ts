/** Runs a command body with one easel instance; turns errors into one clear line and an exit code. */
import { type Easel, createEasel } from '../easel.js';
import { EaselError } from '../core/errors.js';

/** Where the CLI keeps its cache and job store unless the config says otherwise. */
export const CLI_STATE_DIR = '.easel';

export async function withEasel(configFile: string | undefined, body: (easel: Easel) => Promise<void>, stateDir?: string): Promise<void> {
  let easel: Easel | undefined;
  try {
    // The background sandbox: a command killed mid-run finds its vendor jobs again on the next run.
    easel = createEasel({ configFile, defaults: { stateDir: CLI_STATE_DIR }, config: stateDir ? { stateDir } : undefined, sandbox: 'background' });
    await body(easel);
  } catch (error) {
    reportError(error);
  } finally {
    await easel?.close();
  }
}

export function reportError(error: unknown): void {
  process.exitCode = 1;
  if (error instanceof EaselError) {
    const where = [error.model, error.requestId ? `request ${error.requestId}` : undefined].filter(Boolean).join(', ');
    process.stderr.write(`error: ${error.message}${where && !error.message.includes(error.model ?? '\u0000') ? ` (${where})` : ''}\n`);
    if (error.retryable) process.stderr.write('hint: this error is temporary; trying again may work.\n');
    return;
  }
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
}
