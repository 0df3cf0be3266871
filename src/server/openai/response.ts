/**
 * Writes OpenAI's `ImagesResponse`. Base64 is streamed in chunks straight from the image bytes, so
 * a large image is never also held as one big base64 string and again as a JSON string.
 */
import type { ImageResult } from '../../core/result.js';
import type { ResponseFormat } from './mapping.js';

/** 3-byte aligned, so chunks encode to base64 without padding in the middle. */
const CHUNK = 3 * 256 * 1024;

export function imagesResponse(result: ImageResult, format: ResponseFormat, urlFor: (index: number) => string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const head = JSON.stringify({ created: Math.floor(Date.now() / 1000) }).slice(0, -1);
  const first = result.images[0];
  const tail = JSON.stringify({
    ...(first ? { output_format: first.format, size: `${first.width}x${first.height}` } : {}),
  }).slice(1);
  let index = 0;
  let offset = 0;
  let stage: 'head' | 'image' | 'tail' | 'done' = 'head';
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (stage === 'head') {
        controller.enqueue(encoder.encode(`${head},"data":[`));
        stage = result.images.length ? 'image' : 'tail';
        return;
      }
      if (stage === 'image') {
        const image = result.images[index]!;
        const extra = image.revisedPrompt ? `,"revised_prompt":${JSON.stringify(image.revisedPrompt)}` : '';
        if (format === 'url') {
          controller.enqueue(encoder.encode(`${index ? ',' : ''}{"url":${JSON.stringify(urlFor(index))}${extra}}`));
          return next();
        }
        if (offset === 0) controller.enqueue(encoder.encode(`${index ? ',' : ''}{"b64_json":"`));
        const end = Math.min(offset + CHUNK, image.bytes.length);
        controller.enqueue(encoder.encode(Buffer.from(image.bytes.buffer, image.bytes.byteOffset + offset, end - offset).toString('base64')));
        offset = end;
        if (offset >= image.bytes.length) {
          controller.enqueue(encoder.encode(`"${extra}}`));
          return next();
        }
        return;
      }
      if (stage === 'tail') {
        controller.enqueue(encoder.encode(`]${tail.length > 1 ? `,${tail}` : '}'}`));
        stage = 'done';
        controller.close();
      }
      function next() {
        offset = 0;
        index++;
        if (index >= result.images.length) stage = 'tail';
      }
    },
  });
}
