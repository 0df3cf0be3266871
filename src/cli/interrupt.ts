/**
 * Ctrl+C and SIGTERM during a batch: the first stops submitting at once and gives the calls in flight
 * a grace period to finish and be stored (a synchronous vendor charges for a call whether or not its
 * answer is read); a second Ctrl+C, or the end of the grace period, cuts them off. Without this,
 * Node's default for SIGINT is SIGKILL's: every call in flight lost and paid again on resume.
 */
export interface Interrupts {
  /** Aborted by the first signal: no new vendor call starts. */
  stop: AbortSignal;
  /** Aborted by a second Ctrl+C or at the end of the grace period: calls in flight are cut off. */
  signal: AbortSignal;
  /** The signal that stopped the run, if any (for the exit code). */
  readonly received: NodeJS.Signals | undefined;
  dispose(): void;
}

export const DEFAULT_GRACE_S = 30;

export function handleInterrupts(
  graceSeconds: number,
  inFlight: () => number,
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Interrupts {
  const stop = new AbortController();
  const hard = new AbortController();
  let received: NodeJS.Signals | undefined;
  let timer: NodeJS.Timeout | undefined;
  let count = 0;
  const onSignal = (name: NodeJS.Signals) => {
    count++;
    received ??= name;
    if (count === 1) {
      const calls = inFlight();
      write(
        `\n${name}: stopping. No new vendor calls; waiting up to ${graceSeconds} s for ${calls} item${calls === 1 ? '' : 's'} in flight to finish and be saved. Press Ctrl+C again to stop now (what is in flight then resumes next run, and a synchronous vendor may charge it twice).`,
      );
      stop.abort();
      timer = setTimeout(() => hard.abort(), graceSeconds * 1000);
      return;
    }
    if (count === 2) {
      write(`${name}: stopping now.`);
      hard.abort();
      return;
    }
    // A third: the user wants out whatever is still unwinding.
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stop: stop.signal,
    signal: hard.signal,
    get received() {
      return received;
    },
    dispose() {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The exit code of a process stopped by `signal` (128 + its number), as shells report it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : 130;
}
