/** Runs every benchmark in turn. `npm run bench`. */
import { benchHedging } from './hedging.js';
import { benchSandbox } from './sandbox.js';
import { benchUpscale } from './upscale.js';

await benchSandbox();
await benchHedging();
await benchUpscale();
