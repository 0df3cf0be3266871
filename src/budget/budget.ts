/**
 * A spend cap that holds under concurrency: every vendor call reserves its worst-case cost first
 * and settles with the real figure after, so spent + reserved never passes the cap. An unknown
 * price is refused unless the budget allows unpriced calls.
 *
 * `acquire` is the rule for work that can wait (batch items, hedges): a cost that does not fit now
 * but would once the reservations in flight settle waits for them instead of being refused — worst
 * cases are usually far above what calls really cost. It is refused only when even the spend
 * already settled leaves no room for it.
 */
import { errorFromSignal } from '../core/abort.js';
import { BudgetExceededError } from '../core/errors.js';

export interface Reservation {
  readonly id: number;
  readonly usd: number;
  readonly label: string;
  /** Made by `hold`: money already committed at a vendor. */
  readonly held?: boolean;
}

export interface BudgetOptions {
  /** Cap in USD; undefined = no cap (spend is still tracked). */
  capUsd?: number;
  /** Spend already settled (when a job resumes). */
  spentUsd?: number;
  /** Let calls with an unknown price run (their cost counts as 0 and is reported as unknown). */
  allowUnpriced?: boolean;
}

export class Budget {
  readonly capUsd: number | undefined;
  private spent: number;
  private readonly open = new Map<number, Reservation>();
  private nextId = 1;
  private unpriced = 0;
  /** Callers of `acquire` waiting for reservations to settle, woken on every settle or release. */
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: BudgetOptions = {}) {
    this.capUsd = options.capUsd;
    this.spent = options.spentUsd ?? 0;
  }

  get spentUsd(): number {
    return round(this.spent);
  }

  get reservedUsd(): number {
    return round([...this.open.values()].reduce((sum, r) => sum + r.usd, 0));
  }

  /** Calls that ran with an unknown price. */
  get unpricedCalls(): number {
    return this.unpriced;
  }

  /** Room left under the cap for new reservations. */
  get remainingUsd(): number | undefined {
    return this.capUsd === undefined ? undefined : round(Math.max(0, this.capUsd - this.spent - this.reservedUsd));
  }

  /**
   * Reserves `usd` (the call's worst-case cost) or throws BudgetExceededError. Synchronous on purpose:
   * in one process no other reservation can interleave between the check and the booking.
   */
  reserve(usd: number | null, label: string): Reservation {
    if (usd === null) {
      if (!this.options.allowUnpriced && this.capUsd !== undefined) {
        throw new BudgetExceededError(`${label}: its price is unknown, so it cannot be budgeted (allow unpriced calls to run it anyway)`);
      }
      this.unpriced++;
      usd = 0;
    }
    if (this.capUsd !== undefined && this.spent + this.reservedUsd + usd > this.capUsd + 1e-9) {
      throw new BudgetExceededError(`${label}: $${round(usd)} would pass the $${this.capUsd} cap ($${this.spentUsd} spent, $${this.reservedUsd} reserved)`);
    }
    const reservation = { id: this.nextId++, usd, label };
    this.open.set(reservation.id, reservation);
    return reservation;
  }

  /**
   * Reserves `usd`, waiting while it only fails to fit because of reservations still in flight.
   * Throws BudgetExceededError when the settled spend alone leaves no room (nothing in flight can
   * free it), and the signal's reason when it aborts while waiting.
   */
  async acquire(usd: number | null, label: string, signal?: AbortSignal): Promise<Reservation> {
    for (;;) {
      try {
        return this.reserve(usd, label);
      } catch (error) {
        // Held money (jobs that exist) counts as spent: waiting for it to settle would wait on a
        // caller's own hold, and what it frees is no more than the job's worst case minus its price.
        const held = [...this.open.values()].filter((r) => r.held);
        const committed = this.spent + held.reduce((sum, r) => sum + r.usd, 0);
        const couldFit = this.capUsd !== undefined && usd !== null && committed + (usd ?? 0) <= this.capUsd + 1e-9 && this.open.size > held.length;
        if (!(error instanceof BudgetExceededError) || !couldFit) throw error;
      }
      if (signal?.aborted) throw errorFromSignal(signal);
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          this.waiters.delete(wake);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          this.waiters.delete(wake);
          reject(errorFromSignal(signal!));
        };
        this.waiters.add(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /**
   * Reserves `usd` whatever the cap says: for money already committed at a vendor (a job submitted
   * before a crash, being resumed) — refusing it would abandon a job that is paid for anyway.
   */
  hold(usd: number | null, label: string): Reservation {
    const reservation = { id: this.nextId++, usd: usd ?? 0, label, held: true };
    this.open.set(reservation.id, reservation);
    return reservation;
  }

  /** Books what the vendor actually charged and frees the reservation. */
  settle(reservation: Reservation, actualUsd: number | null): void {
    if (!this.open.delete(reservation.id)) return;
    this.spent += actualUsd ?? 0;
    this.wakeWaiters();
  }

  /** Frees a reservation for a call that was not charged. */
  release(reservation: Reservation): void {
    if (this.open.delete(reservation.id)) this.wakeWaiters();
  }

  private wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
