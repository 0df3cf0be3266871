/** replicate routes of the sandbox — being built; see the sandbox issue. */
import { Hono } from 'hono';
import type { SandboxContext, SandboxEnv } from '../context.js';

export function replicateSandbox(_ctx: SandboxContext): Hono<SandboxEnv> {
  return new Hono<SandboxEnv>();
}
