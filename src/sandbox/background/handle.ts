/**
 * The background sandbox as an easel instance's default sandbox: found or started on first need,
 * looked for again if its process has gone (idle stop, `easel sandbox stop`) — and never stopped by
 * `easel.close()`: its vendor jobs and ledger must outlive this process, as a real vendor's do.
 */
import { type BackgroundSandboxOptions, ensureBackgroundSandbox, type RunningSandbox } from './launch.js';
import { pidAlive } from './record.js';

export class BackgroundSandbox {
  private found: Promise<RunningSandbox> | undefined;

  constructor(private readonly options: BackgroundSandboxOptions) {}

  async get(): Promise<{ url: string; note: string }> {
    let running = this.found && (await this.found.catch(() => undefined));
    if (!running || !pidAlive(running.pid)) {
      this.found = ensureBackgroundSandbox(this.options);
      running = await this.found.catch((error: unknown) => {
        this.found = undefined;
        throw error;
      });
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
  }
}
