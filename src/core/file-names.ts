/** File names easel writes: a readable slug of the prompt, and the usual extension of each format. */

export const FILE_EXTENSIONS: Record<string, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

/** Lower-case ASCII words joined by dashes, at most `max` characters; `image` when nothing is left. */
export function slugOf(text: string | undefined, max = 48): string {
  return (
    (text ?? 'image')
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, max)
      .replace(/-+$/, '') || 'image'
  );
}

export function extensionOf(format: string): string {
  return FILE_EXTENSIONS[format] ?? format;
}
