/**
 * Vendor jobs a failed try left alive, by model (a timeout that left them running, or their status
 * or download out of reach): the next try on that model resumes them (timeouts: up to
 * MAX_TIMEOUT_RESUMES times) instead of paying for new ones; leftovers are cancelled at the end.
 * One instance per request.
 */
import type { CatalogModel } from '../catalog/types.js';
import type { VendorEndpoint } from '../config/endpoints.js';
import type { Attempt } from '../core/result.js';
import { type ExecuteOptions, cancelKeptJobs } from './execute.js';
import type { PlannedCandidate } from './plan.js';
import { addCosts, type Reservation, settleOrRelease } from './reservation.js';

/** How many times in a row one model's timed-out vendor jobs are resumed before they are cancelled. */
const MAX_TIMEOUT_RESUMES = 2;

export interface KeptEntry {
  candidate: PlannedCandidate;
  ids: Map<number, string>;
  target: VendorEndpoint;
  /** Settles the reservation of the try that left these jobs alive, with what they cost beyond it. */
  settle?: (extraUsd: number | null) => void;
}

/** How kept jobs are reached when they are cancelled: the request's HTTP, deadline and polling. */
export interface CancelOptions {
  http: Pick<ExecuteOptions, 'fetch' | 'transport'>;
  timeoutMs: number;
  polling: (model: CatalogModel) => Pick<ExecuteOptions, 'pollIntervalMs' | 'firstPollDelayMs'>;
  clock?: ExecuteOptions['clock'];
}

export class KeptJobs {
  private readonly byModel = new Map<string, KeptEntry>();
  private readonly timeoutResumes = new Map<string, number>();

  /** The jobs kept alive for `model` right now, if any. */
  get(model: string): KeptEntry | undefined {
    return this.byModel.get(model);
  }

  /**
   * A try on `model` has reserved the jobs `taken` (what `get` returned before it reserved) and pays
   * for them: they are no longer kept, and the try that left them alive is settled.
   */
  takeOver(model: string, taken: KeptEntry | undefined): void {
    this.byModel.delete(model);
    if (taken) this.timeoutResumes.set(model, (this.timeoutResumes.get(model) ?? 0) + 1);
    // The try that left those jobs alive is settled: this one has reserved them and pays for them.
    taken?.settle?.(0);
  }

  /** Whether a timeout on `model` still leaves its jobs running for the next try to resume. */
  keepOnTimeout(model: string): boolean {
    return (this.timeoutResumes.get(model) ?? 0) < MAX_TIMEOUT_RESUMES;
  }

  /** Call `call` of the candidate's model left vendor job `jobId` alive at `target`. */
  keep(candidate: PlannedCandidate, target: VendorEndpoint, call: number, jobId: string): void {
    const model = candidate.model.id;
    const entry = this.byModel.get(model) ?? { candidate, ids: new Map<number, string>(), target };
    entry.ids.set(call, jobId);
    this.byModel.set(model, entry);
  }

  /** A try on `model` failed having charged `charged`: its reservation is settled now, or once its kept jobs are. */
  failed(model: string, reservation: Reservation | undefined, charged: number | null): void {
    const alive = this.byModel.get(model);
    // Jobs left alive may still be paid for (when nobody resumes them): settled when that is known.
    if (alive && reservation) alive.settle = (extra) => settleOrRelease(reservation, addCosts(charged, extra));
    else if (reservation) settleOrRelease(reservation, charged);
  }

  /**
   * Cancels every job no later try resumed, settles the tries that left them, and returns an attempt
   * for each model whose leftovers the vendor bills anyway.
   */
  async cancelAll(options: CancelOptions): Promise<Attempt[]> {
    const leftovers: Attempt[] = [];
    for (const { candidate, ids, target, settle } of this.byModel.values()) {
      const usd = await cancelKeptJobs(candidate.model, candidate.calls, ids, {
        endpoint: target,
        ...options.http,
        timeoutMs: options.timeoutMs,
        ...options.polling(candidate.model),
        clock: options.clock,
      });
      settle?.(usd);
      if (usd !== 0) {
        leftovers.push({
          model: candidate.model.id,
          provider: candidate.model.provider,
          startedAt: new Date().toISOString(),
          latencyMs: 0,
          outcome: 'error',
          costUsd: usd,
          error: { code: 'aborted', message: `${candidate.model.id}: a job nobody resumed was cancelled; the vendor bills it`, retryable: false },
        });
      }
    }
    return leftovers;
  }
}
