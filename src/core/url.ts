/** URLs built from configured bases, which may or may not end in a slash. */

/** `base` and `path` joined by exactly one slash. */
export function joinUrl(base: string, path: string): string {
  return `${withoutTrailingSlash(base)}/${path.replace(/^\/+/, '')}`;
}

export function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
