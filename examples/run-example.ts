/** Runs an example standalone (`npx tsx examples/<file>.ts`): real vendors with keys, the sandbox without. */
import { createEasel, type Easel } from '../src/index.js';

export async function runStandalone(example: (easel: Easel, outDir: string) => Promise<unknown>): Promise<void> {
  const easel = createEasel();
  try {
    await example(easel, 'easel-output');
  } finally {
    await easel.close();
  }
}
