/**
 * Upscalers that run on this machine (`src/providers/local`). Local compute is free: their price
 * is a real $0, not an unknown. Latencies were measured here (see each row's source.note).
 */
import type { CatalogModel, LatencyProfile, PerImagePrice } from '../types.js';

const FREE: PerImagePrice = { kind: 'per-image', usd: 0, source: { kind: 'estimate', ref: 'runs on this machine', date: '2026-11' } };

function measured(p50Ms: number, p99Ms: number, note: string): LatencyProfile {
  return { p50Ms, p99Ms, source: { kind: 'estimate', ref: 'bench/upscale.ts on the dev machine (2 cores, Node 20)', date: '2026-11', note } };
}

const UPSCALE_ONLY = { negativePrompt: false, seed: false, mask: false, strength: false, revisedPrompt: false } as const;

export const localModels: readonly CatalogModel[] = [
  {
    id: 'local/lanczos',
    provider: 'local',
    vendorModel: 'lanczos',
    displayName: 'Lanczos resample (local, sharp)',
    tasks: ['upscale'],
    features: UPSCALE_ONLY,
    dimensions: { kind: 'from-input' },
    scales: [1, 2, 3, 4, 5, 6, 7, 8],
    maxImagesPerCall: 1,
    outputFormats: ['png', 'jpeg', 'webp'],
    defaultOutputFormat: 'png',
    price: FREE,
    latency: measured(50, 100, 'x4, 256x192 -> 1024x768 PNG incl. file read + write, 50 images in one run: p50 49.6 ms, p99 98.8 ms (shared 2-core machine)'),
    lifecycle: { status: 'active' },
    notes: 'Resamples with the Lanczos-3 kernel: fast and free, adds no detail. Needs no API key.',
  },
  {
    id: 'local/esrgan',
    provider: 'local',
    vendorModel: 'esrgan',
    displayName: 'ESRGAN slim (local, UpscalerJS + TensorFlow.js wasm)',
    tasks: ['upscale'],
    features: UPSCALE_ONLY,
    dimensions: { kind: 'from-input' },
    // The factors @upscalerjs/esrgan-slim ships weights for.
    scales: [2, 3, 4, 8],
    maxImagesPerCall: 1,
    outputFormats: ['png', 'jpeg', 'webp'],
    defaultOutputFormat: 'png',
    price: FREE,
    latency: measured(
      1_250,
      2_800,
      'x4, 256x192 -> 1024x768 PNG incl. file read + write, 50 images in one run, model loaded: p50 1222 ms, p99 2786 ms (shared 2-core machine; the first call in a process also loads TensorFlow.js and the weights, ~1 s more). Time grows with output pixels',
    ),
    lifecycle: { status: 'active' },
    notes:
      'A real super-resolution network (ESRGAN, slim RDN weights from @upscalerjs/esrgan-slim 1.0.0) on the TensorFlow.js wasm backend, in-process and offline. Needs no API key; needs the optional packages upscaler, @upscalerjs/esrgan-slim, @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm. Output up to 12.6 MP (4096x3072: 36 s and 1.1 GB peak memory here); larger requests are refused with a hint to use local/lanczos.',
  },
];
