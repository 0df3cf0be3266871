/**
 * A submit whose answer never came back (the connection was reset or cut after the request went
 * out) may still have created — and be billing — a vendor job. Vendors that list their jobs (Replicate,
 * FAL) look for it and adopt it instead of letting the caller pay for a second one. Jobs this process
 * already received an answer for are remembered, so an adoption never takes a sibling call's job.
 */
import { ProviderUnavailableError } from '../core/errors.js';

/** How far the vendor's clock may be behind ours when matching a job's creation time. */
export const CLOCK_SKEW_MS = 5_000;
const MAX_HELD = 10_000;
const held = new Set<string>();

/** No HTTP answer at all (not a 5xx, which a vendor sends before taking the job). */
export function answerLost(error: unknown): boolean {
  return error instanceof ProviderUnavailableError && error.status === undefined;
}

/** Records a job id an answered submit (or an adoption) gave this process. */
export function holdJob(id: string): void {
  held.add(id);
  if (held.size > MAX_HELD) held.delete(held.values().next().value!);
}

/** `taken` plus every job this process holds. */
export function notHeld(taken: ReadonlySet<string> = new Set()): ReadonlySet<string> {
  return new Set([...held, ...taken]);
}
