/** Sources shared by many catalog rows. */
import type { Source } from './types.js';

export const GUIDE: Source = { kind: 'guide', ref: 'seed/image-generation-apis-guide.txt (pricing, benchmark and uptime tables)', date: '2026-03' };
