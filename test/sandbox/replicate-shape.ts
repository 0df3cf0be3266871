/** Compares a sandbox answer with a recorded vendor shape (test/fixtures/replicate-*.json). */
import { expect } from 'vitest';

/** Every key of the recorded shape is present with the same JSON type (null allowed where recorded). */
export function expectShape(actual: unknown, recorded: unknown, path = '$'): void {
  if (recorded === null || typeof recorded !== 'object') {
    expect(typeof actual, path).toBe(typeof recorded);
    return;
  }
  expect(actual, path).toBeTypeOf('object');
  if (Array.isArray(recorded)) {
    expect(Array.isArray(actual), path).toBe(true);
    if (recorded.length > 0 && (actual as unknown[]).length > 0) expectShape((actual as unknown[])[0], recorded[0], `${path}[0]`);
    return;
  }
  for (const [key, value] of Object.entries(recorded)) {
    if (key === 'input') continue; // echoes whatever was sent
    expect(actual as object, `${path}.${key}`).toHaveProperty(key);
    expectShape((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
  }
}
