/**
 * A spend cap that holds under concurrency: every vendor call reserves its worst-case cost first
 * and settles with the real figure after, so spent + reserved never passes the cap. An unknown
 * price is refused unless the budget allows unpriced calls.
 */
import { BudgetExceededError } from '../core/errors.js';

export interface Reservation {
  readonly id: number;
  readonly usd: number;
  readonly label: string;
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
      throw new BudgetExceededError(
        `${label}: $${round(usd)} would pass the $${this.capUsd} cap ($${this.spentUsd} spent, $${this.reservedUsd} reserved)`,
      );
    }
    const reservation = { id: this.nextId++, usd, label };
    this.open.set(reservation.id, reservation);
    return reservation;
  }

  /** Books what the vendor actually charged and frees the reservation. */
  settle(reservation: Reservation, actualUsd: number | null): void {
    if (!this.open.delete(reservation.id)) return;
    this.spent += actualUsd ?? 0;
  }

  /** Frees a reservation for a call that was not charged. */
  release(reservation: Reservation): void {
    this.open.delete(reservation.id);
  }
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
