/** Runs every benchmark in turn. `npm run bench`. */
import { benchSandbox } from './sandbox.js';

await benchSandbox();
