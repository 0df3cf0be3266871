/** The gateway's url answers: held under a byte budget, oldest dropped first, a dropped URL says why. */
import { describe, expect, it } from 'vitest';
import { ImageFileStore, missingFileMessage } from '../../src/server/files/store.js';

const bytes = (n: number) => new Uint8Array(n);

describe('ImageFileStore', () => {
  it('drops the oldest answers when a new one does not fit, and says so for their ids', () => {
    const store = new ImageFileStore({ maxBytes: 1000 });
    const ids = [store.put(bytes(400), 'image/png'), store.put(bytes(400), 'image/png')];
    const third = store.put(bytes(400), 'image/png');
    expect(store.size()).toBe(800);
    expect(store.lookup(ids[0]!)).toEqual({ missing: 'evicted' });
    expect('found' in store.lookup(ids[1]!)).toBe(true);
    expect('found' in store.lookup(third)).toBe(true);
    expect(store.lookup('never-made')).toEqual({ missing: 'unknown' });
    expect(missingFileMessage('evicted', store)).toMatch(/dropped before its URL expired.*0 MiB.*--url-budget-mb/);
  });

  it('never holds more than its budget over many answers', () => {
    const store = new ImageFileStore({ maxBytes: 10_000 });
    for (let i = 0; i < 1000; i++) store.put(bytes(37 + (i % 500)), 'image/png');
    expect(store.size()).toBeLessThanOrEqual(10_000);
    expect(store.size()).toBeGreaterThan(9_000);
  });

  it('does not hold an image larger than the whole budget', () => {
    const store = new ImageFileStore({ maxBytes: 100 });
    const id = store.put(bytes(101), 'image/png');
    expect(store.size()).toBe(0);
    expect(store.lookup(id)).toEqual({ missing: 'evicted' });
  });

  it('expires answers after the TTL (fake clock) and frees their bytes', () => {
    let now = 0;
    const store = new ImageFileStore({ maxBytes: 1000, ttlMs: 60_000, now: () => now });
    const id = store.put(bytes(300), 'image/png');
    now = 59_999;
    expect('found' in store.lookup(id)).toBe(true);
    now = 60_001;
    store.put(bytes(10), 'image/png');
    expect(store.size()).toBe(10);
    expect(store.lookup(id)).toEqual({ missing: 'unknown' });
  });
});
