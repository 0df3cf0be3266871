/**
 * The sandbox easel starts by itself when a vendor has no key, so a new user's first command works.
 * Started once per easel instance, on first need, and announced in one line.
 */
import { type Sandbox, startSandbox } from './server.js';

/** Default time scale of the in-process sandbox: vendor latencies shrunk 20x (an 11 s call takes ~0.5 s). */
export const IN_PROCESS_TIME_SCALE = 0.05;

export class InProcessSandbox {
  private started: Promise<Sandbox> | undefined;

  constructor(private readonly timeScale = IN_PROCESS_TIME_SCALE) {}

  get(): Promise<Sandbox> {
    this.started ??= startSandbox({ timeScale: this.timeScale }).then((sandbox) => {
      sandbox.unref();
      return sandbox;
    });
    return this.started;
  }

  get running(): boolean {
    return this.started !== undefined;
  }

  async close(): Promise<void> {
    const started = this.started;
    this.started = undefined;
    if (started) await (await started).close();
  }
}
