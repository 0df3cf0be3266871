/**
 * ImagesResponse → images, usage and warnings (protocols.md 1.6). Lenient: only the fields easel
 * reads. Base64 is decoded here; URLs (DALL·E's default, or an OpenAI-compatible host that ignores
 * `response_format`) are fetched by the adapter through the origin-checked downloader.
 */
import { z } from 'zod';
import { NoImageGeneratedError } from '../../core/errors.js';
import { MEDIA_TYPES, type OutputFormat } from '../../core/task.js';
import { sniffMediaType } from '../../core/media-type.js';
import type { VendorUsage } from '../types.js';

export const ImagesResponseSchema = z.object({
  created: z.number().optional(),
  data: z.array(z.object({ b64_json: z.string().nullish(), url: z.string().nullish(), revised_prompt: z.string().nullish() })).nullish(),
  output_format: z.string().nullish(),
  usage: z.object({ input_tokens: z.number().optional(), output_tokens: z.number().optional() }).nullish(),
});
export type ImagesResponse = z.output<typeof ImagesResponseSchema>;

/** One output as the vendor gave it: bytes already decoded, or a URL still to fetch. */
export type Output = { kind: 'bytes'; bytes: Uint8Array; mediaType: string; revisedPrompt?: string } | { kind: 'url'; url: string; revisedPrompt?: string };

export interface ParsedImages {
  outputs: Output[];
  usage: VendorUsage;
}

export function parseImages(body: ImagesResponse, details: { model: string; requestId: string | undefined }): ParsedImages {
  const outputs: Output[] = [];
  for (const item of body.data ?? []) {
    const revisedPrompt = item.revised_prompt ?? undefined;
    const extra = revisedPrompt === undefined ? {} : { revisedPrompt };
    if (item.b64_json) {
      const bytes = new Uint8Array(Buffer.from(item.b64_json, 'base64'));
      outputs.push({ kind: 'bytes', bytes, mediaType: mediaTypeOf(bytes, body.output_format), ...extra });
    } else if (item.url) {
      outputs.push({ kind: 'url', url: item.url, ...extra });
    }
  }
  if (outputs.length === 0) {
    throw new NoImageGeneratedError(`openai (${details.model}) answered with no image (empty data)`, {
      model: details.model,
      provider: 'openai',
      requestId: details.requestId,
    });
  }
  const usage: VendorUsage = {};
  if (body.usage?.input_tokens !== undefined) usage.inputTokens = body.usage.input_tokens;
  if (body.usage?.output_tokens !== undefined) usage.outputTokens = body.usage.output_tokens;
  return { outputs, usage };
}

/** The bytes say what they are; `output_format` is the fallback for a format sniffing does not know. */
function mediaTypeOf(bytes: Uint8Array, outputFormat: string | null | undefined): string {
  const sniffed = sniffMediaType(bytes);
  if (sniffed !== 'application/octet-stream') return sniffed;
  return MEDIA_TYPES[outputFormat as OutputFormat] ?? sniffed;
}
