/**
 * What a vendor charges for a call easel gave up on (a hedge's loser, a caller's abort, a timeout):
 * data, so a paid loser is counted in the route's total and settled against a budget. The figures
 * follow what each vendor does, as the sandbox's ledger records it.
 */
import type { ProviderId } from '../core/task.js';

export type AbandonCharge = 'charged' | 'free';

export interface AbandonBilling {
  /**
   * A request aborted after it was sent, before an answer (and with it any job id) came back. A
   * synchronous vendor finishes the work anyway; an async vendor's job exists without an id to cancel.
   */
  inFlight: AbandonCharge;
  /** A job whose id came back, cancelled by easel (or, without a cancel endpoint, left to finish). */
  cancelledJob: AbandonCharge;
}

export const ABANDON_BILLING: Record<ProviderId, AbandonBilling> = {
  // The generation stops when the client hangs up, and nothing is billed.
  openai: { inFlight: 'free', cancelledJob: 'free' },
  // Synchronous endpoints finish and bill whatever the client does; async jobs have no cancel endpoint.
  stability: { inFlight: 'charged', cancelledJob: 'charged' },
  // The adapter finds a prediction whose `Prefer: wait` answer was cut off by its input and cancels it.
  // A cancelled prediction is not billed by the sandbox (Replicate itself bills the seconds it ran).
  replicate: { inFlight: 'free', cancelledJob: 'free' },
  // A submit cut off before its answer leaves a queued job nobody can name, which runs and bills; a
  // request cancelled by id (queued or running) is not billed.
  fal: { inFlight: 'charged', cancelledJob: 'free' },
  local: { inFlight: 'free', cancelledJob: 'free' },
};

/** Whether a call easel gave up on is paid for anyway. */
export function abandonedIsCharged(provider: ProviderId, stage: keyof AbandonBilling): boolean {
  return ABANDON_BILLING[provider][stage] === 'charged';
}
