/**
 * What an adapter does with a vendor job whose wait was aborted. A caller's abort cancels it, so it
 * stops costing money. An attempt's timeout, when the router will resume that job next
 * (`runtime.keepOnTimeout`), leaves it running and names it in the TimeoutError: cancelling and
 * submitting afresh would pay twice for a job that finished just before the cancel arrived.
 */
import { errorFromSignal } from '../core/abort.js';
import { AbortedError, type EaselError, TimeoutError } from '../core/errors.js';
import type { CancelOutcome, ProviderRuntime } from './types.js';

export async function abandonWait(
  runtime: ProviderRuntime,
  details: { provider: string; model?: string },
  vendorJobId: string,
  cancel: () => Promise<CancelOutcome | void>,
): Promise<EaselError> {
  const reason = errorFromSignal(runtime.signal, details);
  if (reason instanceof TimeoutError && runtime.keepOnTimeout) {
    return new TimeoutError(`${reason.message}; ${details.provider} job ${vendorJobId} is left running and will be resumed`, {
      ...details,
      requestId: vendorJobId,
      jobAlive: true,
    });
  }
  // A job that finished before the cancel arrived is billed. After a timeout it is kept (`jobAlive`):
  // the next try collects its output instead of paying for another. After a caller's abort nobody
  // wants it, and the error says it was billed, so its cost is counted.
  if ((await cancel()) === 'completed') {
    if (reason instanceof TimeoutError) {
      return new TimeoutError(`${reason.message}; ${details.provider} job ${vendorJobId} had already finished, is billed, and is collected by the next try`, {
        ...details,
        requestId: vendorJobId,
        jobAlive: true,
      });
    }
    return new AbortedError(`${reason.message}; ${details.provider} job ${vendorJobId} had already finished, and is billed`, {
      ...details,
      requestId: vendorJobId,
      charged: true,
    });
  }
  return reason;
}
