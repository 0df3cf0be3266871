/**
 * The sandbox's URL layout under its root: served by the sandbox, and where easel's config points
 * each vendor's calls when no keys are given. Shared here so neither depends on the other.
 */
import { withoutTrailingSlash } from './url.js';

export interface SandboxUrls {
  openai: string;
  stability: string;
  replicate: string;
  /** FAL's queue host (`https://queue.fal.run` in production). */
  falQueue: string;
  /** FAL's synchronous host (`https://fal.run`). */
  falRun: string;
  /** FAL's Platform API (`https://api.fal.ai/v1`): the request listing that finds orphans. */
  falPlatform: string;
  control: string;
}

export function sandboxUrls(root: string): SandboxUrls {
  const base = withoutTrailingSlash(root);
  return {
    openai: `${base}/openai/v1`,
    stability: `${base}/stability`,
    replicate: `${base}/replicate/v1`,
    falQueue: `${base}/fal/queue`,
    falRun: `${base}/fal/run`,
    falPlatform: `${base}/fal/api/v1`,
    control: `${base}/_sandbox`,
  };
}
