/**
 * Abort plumbing. easel's signals always abort with an EaselError as their reason (AbortedError for
 * the user's abort, TimeoutError for a deadline), so any wait can simply `throw errorFromSignal(signal)`
 * and callers see a typed error. Deadlines and sleeps live with the clock (clock.ts).
 */
import { AbortedError, EaselError, TimeoutError } from './errors.js';

export function errorFromSignal(signal: AbortSignal, details: { model?: string; provider?: string } = {}): EaselError {
  const reason: unknown = signal.reason;
  if (reason instanceof EaselError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new TimeoutError('the request timed out', details);
  }
  return new AbortedError('the request was aborted', details);
}
