/**
 * What an adapter does with a vendor job whose wait was aborted. A caller's abort cancels it, so it
 * stops costing money. An attempt's timeout, when the router will resume that job next
 * (`runtime.keepOnTimeout`), leaves it running and names it in the TimeoutError: cancelling and
 * submitting afresh would pay twice for a job that finished just before the cancel arrived.
 */
import { errorFromSignal } from '../core/abort.js';
import { type EaselError, TimeoutError } from '../core/errors.js';
import type { ProviderRuntime } from './types.js';

export async function abandonWait(runtime: ProviderRuntime, details: { provider: string; model?: string }, vendorJobId: string, cancel: () => Promise<void>): Promise<EaselError> {
  const reason = errorFromSignal(runtime.signal, details);
  if (reason instanceof TimeoutError && runtime.keepOnTimeout) {
    return new TimeoutError(`${reason.message}; ${details.provider} job ${vendorJobId} is left running and will be resumed`, { ...details, requestId: vendorJobId, jobAlive: true });
  }
  await cancel();
  return reason;
}
