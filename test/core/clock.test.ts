/** The injectable clock: deadlines and sleeps behave alike on the real clock and on the tests' fake one. */
import { describe, expect, it } from 'vitest';
import { deadlineSignal, realClock } from '../../src/core/clock.js';
import { AbortedError, TimeoutError } from '../../src/core/errors.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('FakeClock', () => {
  it('fires due timers in order, each at its own time, and nothing before', () => {
    const clock = new FakeClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    const cleared = clock.setTimeout(() => fired.push('cleared'), 15);
    clock.clearTimeout(cleared);
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(11);
    expect(fired).toEqual(['a@1010', 'b@1020']);
    expect(clock.now()).toBe(1_020);
  });

  it('a deadline on the fake clock fires only when the clock passes it, with a typed reason', () => {
    const clock = new FakeClock();
    const { signal } = deadlineSignal(undefined, 500, 'the call', clock);
    clock.advance(499);
    expect(signal.aborted).toBe(false);
    clock.advance(1);
    expect(signal.reason).toBeInstanceOf(TimeoutError);
    expect((signal.reason as Error).message).toBe('the call took longer than 500 ms');
  });

  it('sleep rejects with the signal’s typed reason and leaves no timer behind', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1_000, controller.signal);
    expect(clock.pending()).toEqual([1_000]);
    controller.abort(new AbortedError('stop'));
    await expect(sleeping).rejects.toThrow(AbortedError);
    expect(clock.pending()).toEqual([]);
  });

  it('autoAdvance passes short waits at once and leaves longer timers to the test', async () => {
    const clock = new FakeClock(0);
    const stop = clock.autoAdvance(100);
    const { signal, dispose } = deadlineSignal(undefined, 1_000, 'the call', clock);
    for (let i = 0; i < 5; i++) await clock.sleep(50);
    expect(clock.now()).toBe(250);
    expect(signal.aborted).toBe(false);
    stop();
    dispose();
    expect(clock.pending()).toEqual([]);
  });
});

describe('realClock', () => {
  it('sleeps on real time and rejects at once when the signal is already aborted', async () => {
    const before = realClock.now();
    await realClock.sleep(5);
    expect(realClock.now()).toBeGreaterThanOrEqual(before + 4);
    const controller = new AbortController();
    controller.abort(new TimeoutError('late'));
    await expect(realClock.sleep(10_000, controller.signal)).rejects.toThrow('late');
  });
});
