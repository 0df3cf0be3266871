/**
 * Loads UpscalerJS, TensorFlow.js and the wasm backend on first use, and keeps one loaded ESRGAN
 * model per scale.
 *
 * Everything goes through `require` (CommonJS) on purpose:
 * - plain Node ESM cannot `import 'upscaler'` (its ESM build uses extension-less imports), and its
 *   `upscaler/node` build needs `@tensorflow/tfjs-node`, which cannot be installed offline. Its UMD
 *   bundle is a CommonJS module that needs only `@tensorflow/tfjs`, so it works in tsx, vitest and
 *   the compiled `dist/` alike;
 * - UpscalerJS, tfjs and the wasm backend must share ONE tfjs-core instance (backends register on
 *   it); mixing the ESM and CJS builds of tfjs would create two.
 * Nothing here runs at import time, so importing easel never loads TensorFlow.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { ProviderError } from '../../core/errors.js';
import { modelFromFolder } from './model-files.js';

/** Factors `@upscalerjs/esrgan-slim` ships weights for. */
export const ESRGAN_SCALES = [2, 3, 4, 8] as const;
export type EsrganScale = (typeof ESRGAN_SCALES)[number];

/** Exact versions: an unpinned wasm backend pulls a second tfjs-core and the backend goes missing. */
export const ESRGAN_INSTALL_COMMAND =
  'npm install --save-exact upscaler@1.0.0 @upscalerjs/esrgan-slim@1.0.0 @tensorflow/tfjs@4.11.0 @tensorflow/tfjs-backend-wasm@4.11.0';

export interface UpscaleOptions {
  output: 'tensor';
  patchSize: number;
  padding: number;
  /** Yield to the event loop between patches, so a server stays responsive and aborts land. */
  awaitNextFrame: boolean;
  signal: AbortSignal;
}

/** The slice of UpscalerJS's `Upscaler` that easel uses. */
export interface Upscaler {
  upscale(image: tfjs.Tensor3D, options: UpscaleOptions): Promise<tfjs.Tensor3D>;
  getModel(): Promise<unknown>;
  dispose(): Promise<void>;
}
type UpscalerClass = new (options: { model: Record<string, unknown> }) => Upscaler;

interface EsrganKit {
  tf: typeof tfjs;
  Upscaler: UpscalerClass;
  /** `require` rooted at this module: finds the weights package easel depends on. */
  requireHere: NodeJS.Require;
}

let kit: Promise<EsrganKit> | undefined;
const upscalers = new Map<EsrganScale, Promise<Upscaler>>();

/** TensorFlow.js as the local upscaler loaded it (loading it if needed). */
export async function esrganTf(): Promise<typeof tfjs> {
  return (await loadKit()).tf;
}

/** The loaded ESRGAN model for `scale`, shared by every call in this process. */
export function esrganUpscaler(scale: EsrganScale): Promise<Upscaler> {
  let upscaler = upscalers.get(scale);
  if (!upscaler) {
    upscaler = loadUpscaler(scale);
    upscalers.set(scale, upscaler);
    // A failed load is not cached: the next call tries again (e.g. after the packages are installed).
    upscaler.catch(() => upscalers.delete(scale));
  }
  return upscaler;
}

async function loadUpscaler(scale: EsrganScale): Promise<Upscaler> {
  const { tf, Upscaler, requireHere } = await loadKit();
  return attempt(`the x${scale} ESRGAN weights from @upscalerjs/esrgan-slim`, async () => {
    const specifier = `@upscalerjs/esrgan-slim/${scale}x`;
    const definition = requireHere(specifier) as { _internals?: { path?: string } };
    const weightsPath = definition._internals?.path;
    if (!weightsPath) throw new Error(`${specifier} does not name its model.json`);
    const folder = join(packageRoot(requireHere.resolve(specifier), '@upscalerjs/esrgan-slim'), dirname(weightsPath));
    const upscaler = new Upscaler({ model: { ...definition, path: modelFromFolder(tf, folder) } });
    await upscaler.getModel();
    return upscaler;
  });
}

function loadKit(): Promise<EsrganKit> {
  if (!kit) {
    kit = loadKitOnce();
    kit.catch(() => {
      kit = undefined;
    });
  }
  return kit;
}

async function loadKitOnce(): Promise<EsrganKit> {
  const requireHere = createRequire(import.meta.url);
  const upscalerBundle = await attempt('upscaler', async () =>
    join(packageRoot(requireHere.resolve('upscaler/node'), 'upscaler'), 'dist/browser/umd/upscaler.min.js'),
  );
  // Resolve tfjs and its backend from the bundle's own folder, so all three share its tfjs-core.
  const requireFromUpscaler = createRequire(upscalerBundle);
  const tf = await attempt('@tensorflow/tfjs', async () => requireFromUpscaler('@tensorflow/tfjs') as typeof tfjs);
  await attempt('@tensorflow/tfjs-backend-wasm', async () => {
    const wasm = requireFromUpscaler('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    // The backend reads its .wasm files with fs in Node; point it at the package's dist folder
    // (a plain path ending in a separator), not at a CDN.
    wasm.setWasmPaths(`${dirname(requireFromUpscaler.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  });
  const Upscaler = await attempt('upscaler', async () => requireFromUpscaler(upscalerBundle) as UpscalerClass);
  return { tf, Upscaler, requireHere };
}

/** Runs one loading step; any failure becomes a ProviderError that says what and how to fix it. */
async function attempt<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (cause) {
    // Node's message goes on with the whole require stack; its first line names the module.
    const detail = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0];
    const missing = (cause as { code?: string }).code === 'MODULE_NOT_FOUND';
    const reason = missing ? `${what} is not installed (${detail})` : `loading ${what} failed: ${detail}`;
    throw new ProviderError(`local/esrgan cannot run: ${reason}. It needs these exact packages: ${ESRGAN_INSTALL_COMMAND}`, {
      model: 'local/esrgan',
      provider: 'local',
      cause,
    });
  }
}

/** The folder of package `name` that contains `file` (bypasses `exports`, which hides the UMD bundle). */
function packageRoot(file: string, name: string): string {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
  }
  throw new Error(`cannot find the ${name} package folder above ${file}`);
}
