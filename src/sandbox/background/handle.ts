/**
 * The background sandbox as an easel instance's default sandbox: found or started on first need,
 * looked for again if its process has gone (idle stop, `easel sandbox stop`) — and never stopped by
 * `easel.close()`: its vendor jobs and ledger must outlive this process, as a real vendor's do.
 * When it cannot start (a read-only state folder, say), a sandbox in this process answers instead,
 * and the notice says what that means, rather than the command failing.
 */
import { InProcessSandbox } from '../in-process.js';
import { type BackgroundSandboxOptions, ensureBackgroundSandbox, type RunningSandbox } from './launch.js';
import { pidAlive } from './record.js';

export class BackgroundSandbox {
  private found: Promise<RunningSandbox> | undefined;
  private fallback: InProcessSandbox | undefined;

  constructor(private readonly options: BackgroundSandboxOptions) {}

  async get(): Promise<{ url: string; note: string }> {
    if (this.fallback) return { url: (await this.fallback.get()).url, note: '' };
    let running = this.found && (await this.found.catch(() => undefined));
    if (!running || !pidAlive(running.pid)) {
      this.found = ensureBackgroundSandbox(this.options);
      running = await this.found.catch(() => undefined);
    }
    if (!running) {
      const why = await this.found!.catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
      this.found = undefined;
      this.fallback = new InProcessSandbox(this.options.timeScale);
      return {
        url: (await this.fallback.get()).url,
        note: `The background sandbox could not start (${why}), so this one runs inside this command: its jobs end with it.`,
      };
    }
    return { url: running.url, note: this.note(running) };
  }

  private note(running: RunningSandbox): string {
    // `.easel` is the state folder `easel sandbox stop` looks in by default.
    const state = this.options.stateDir === '.easel' ? '' : ` --state ${this.options.stateDir}`;
    return `${running.started ? 'Started it' : 'It runs'} in the background (pid ${running.pid}), so its jobs and ledger outlive this command; \`easel sandbox stop${state}\` stops it.`;
  }

  async close(): Promise<void> {
    this.found = undefined;
    await this.fallback?.close();
    this.fallback = undefined;
  }
}
