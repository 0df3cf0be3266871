/**
 * Multipart bodies for edits and variations: each file in a format the API takes (converting to
 * PNG, losslessly, when it does not), named like the official client names them.
 */
import sharp from 'sharp';
import type { ImagesRequest, UploadSpec } from './request.js';

export async function toFormData(request: ImagesRequest): Promise<FormData> {
  const form = new FormData();
  for (const upload of request.uploads) {
    const { bytes, mediaType, extension } = await inAcceptedFormat(upload);
    form.append(upload.field, new File([bytes], `${upload.field}.${extension}`, { type: mediaType }));
  }
  for (const [name, value] of Object.entries(request.fields)) form.append(name, String(value));
  return form;
}

async function inAcceptedFormat(upload: UploadSpec): Promise<{ bytes: Uint8Array<ArrayBuffer>; mediaType: string; extension: string }> {
  const { image } = upload;
  if (upload.accepts.includes(image.format)) {
    return { bytes: new Uint8Array(image.bytes), mediaType: image.mediaType, extension: image.format === 'jpeg' ? 'jpg' : image.format };
  }
  return { bytes: new Uint8Array(await sharp(image.bytes).png().toBuffer()), mediaType: 'image/png', extension: 'png' };
}
