/** What a request asks a model to do. */
export const TASKS = ['generate', 'edit', 'image-to-image', 'upscale', 'variation'] as const;
export type Task = (typeof TASKS)[number];

export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const QUALITIES = ['auto', 'standard', 'hd', 'low', 'medium', 'high'] as const;
export type Quality = (typeof QUALITIES)[number];

export const PROVIDERS = ['openai', 'stability', 'replicate', 'fal', 'local'] as const;
export type ProviderId = (typeof PROVIDERS)[number];

export const MEDIA_TYPES: Record<OutputFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

export function formatFromMediaType(mediaType: string): OutputFormat | undefined {
  const base = mediaType.split(';')[0]!.trim().toLowerCase();
  if (base === 'image/png') return 'png';
  if (base === 'image/jpeg' || base === 'image/jpg') return 'jpeg';
  if (base === 'image/webp') return 'webp';
  return undefined;
}
