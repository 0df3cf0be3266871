/**
 * The README's library example. Run: npx tsx examples/quickstart.ts
 * With no API key set, easel runs it on the built-in sandbox and says so.
 */
import { createEasel } from '../src/index.js';

export async function quickstart(outDir = 'easel-output') {
  const easel = createEasel();
  try {
    const result = await easel.generate({ prompt: 'a cozy coffee shop interior', size: '1024x1024' });
    const file = await result.images[0]!.save(`${outDir}/coffee-shop.png`);
    console.log(`${result.model} made ${file} for $${result.cost.usd} in ${Math.round(result.latencyMs)} ms`);
    return { result, file };
  } finally {
    await easel.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await quickstart();
