/**
 * One batch item's money: its router reservation hook over the run's budget, and what its attempts
 * cost so far (booked with the item's outcome, failed and skipped items included).
 */
import type { Budget } from '../budget/budget.js';
import { BudgetExceededError } from '../core/errors.js';
import type { ReserveHook } from '../router/reservation.js';

export interface ItemBudget {
  /** The router's hook: called before every vendor attempt of the item. */
  reserve: ReserveHook;
  /** USD the item's attempts cost so far. */
  readonly chargedUsd: number;
}

/**
 * Money is reserved per vendor attempt (primary, retry, fallback, hedge) at that attempt's worst
 * case, through the router's hook: an item that does not fit waits for reservations in flight to
 * settle, and is skipped only when the spend already settled leaves no room. `chargedUsd` is what the
 * item's attempts cost, booked on its outcome (failed and skipped items included).
 *
 * @param line the item's line in the workload (names it in budget errors).
 * @param stopping the run's soft stop: an item waiting for room stops waiting.
 */
export function itemBudget(budget: Budget, line: number, stopping: AbortSignal): ItemBudget {
  let charged = 0;
  const reserve: ReserveHook = async (attempt, attemptSignal) => {
    const label = `line ${line} (${attempt.model})`;
    // Vendor jobs that already exist are paid for: their part is held, never refused. The calls that
    // may buy a new job wait for room like any other.
    const held = attempt.resumedCalls > 0 ? [budget.hold(attempt.resumedWorstCaseUsd, `${label}, resumed`)] : [];
    if (attempt.calls > attempt.resumedCalls) {
      const freshUsd = attempt.worstCaseUsd === null ? null : Math.max(0, attempt.worstCaseUsd - (attempt.resumedWorstCaseUsd ?? 0));
      try {
        held.push(await budget.acquire(freshUsd, label, AbortSignal.any([attemptSignal, stopping])));
      } catch (error) {
        // Refused: the item is skipped with its resumed jobs unread. The vendor bills them anyway, so
        // they are booked at their worst case (the real price is known only by reading them). Stopped:
        // the next run reads them.
        for (const reservation of held) {
          if (!(error instanceof BudgetExceededError)) budget.release(reservation);
          else {
            charged += reservation.usd;
            budget.settle(reservation, reservation.usd);
          }
        }
        throw error;
      }
    }
    return {
      // The attempt's cost is booked once, on one of its reservations; the others are freed.
      settle: (usd) => {
        charged += usd ?? 0;
        held.forEach((reservation, i) => (i === 0 ? budget.settle(reservation, usd) : budget.release(reservation)));
      },
      release: () => held.forEach((reservation) => budget.release(reservation)),
    };
  };
  return {
    reserve,
    get chargedUsd() {
      return charged;
    },
  };
}
