/**
 * The sandbox an easel instance sends a vendor's calls to when that vendor has no key and no sandbox
 * URL is set: in this process (the library's default: nothing outlives it, nothing to clean up), or in
 * the background under the state folder (the CLI's: vendor jobs and ledger outlive the command, so a
 * killed batch resumes against the same jobs, as it would at a real vendor).
 */
import { BackgroundSandbox } from './background/handle.js';
import { InProcessSandbox } from './in-process.js';

export type DefaultSandboxKind = 'in-process' | 'background';

export interface DefaultSandbox {
  /** Starts or finds it on first need; `note` is said once, after the first "calls go to the sandbox" line. */
  get(): Promise<{ url: string; note?: string }>;
  /** Stops it if it belongs to this instance (the background one does not). */
  close(): Promise<void>;
}

export interface DefaultSandboxSettings {
  /** State folder of the background sandbox (`sandbox.json`, `sandbox.log`). */
  stateDir: string;
  timeScale?: number;
  idleTimeoutMs?: number;
}

export function defaultSandbox(kind: DefaultSandboxKind, settings: DefaultSandboxSettings): DefaultSandbox {
  return kind === 'background' ? new BackgroundSandbox(settings) : new InProcessSandbox(settings.timeScale);
}
