/**
 * Abort and timeout plumbing. easel's signals always abort with an EaselError as their reason
 * (AbortedError for the user's abort, TimeoutError for a deadline), so any wait can simply
 * `throw errorFromSignal(signal)` and callers see a typed error.
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

/** A signal that fires on the user's abort or after `timeoutMs`, whichever comes first. */
export function deadlineSignal(
  parent: AbortSignal | undefined,
  timeoutMs: number | undefined,
  what = 'the request',
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent?.reason instanceof EaselError ? parent.reason : new AbortedError(`${what} was aborted`));
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  const timer =
    timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(new TimeoutError(`${what} took longer than ${timeoutMs} ms`)), timeoutMs);
  timer?.unref?.();
  return {
    signal: controller.signal,
    dispose: () => {
      if (timer) clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

/** Sleep that rejects with the signal's typed reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(errorFromSignal(signal));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    const onAbort = () => {
      clearTimeout(timer);
      reject(errorFromSignal(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
