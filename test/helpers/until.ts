/**
 * Waiting for an event a test is about (a request seen by the sandbox, a prediction created), never
 * for a fixed time: the result does not hang on how fast the machine is, only on the event. The
 * test's own timeout bounds an event that never comes.
 */

/** Resolves once `ready()` holds, looking every few ms. */
export async function until(ready: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await ready())) await new Promise((r) => setTimeout(r, 5));
}
