/**
 * What a prompt (or any free text sent on to a vendor) may contain. Text is refused, never cleaned
 * silently: a NUL byte or a lone surrogate is almost always a client bug (a C string, a truncated
 * UTF-16 buffer), and vendors and renderers fail on it in ways that say nothing useful.
 *
 * Allowed: any well-formed Unicode, including tab, line feed and carriage return (OpenAI takes
 * multi-line prompts). Refused: NUL, the other C0 control characters (U+0001–U+001F except tab,
 * LF, CR: they carry no meaning in a prompt and XML/SVG and some vendor parsers reject them), and
 * unpaired UTF-16 surrogates (not Unicode at all; they cannot be encoded as UTF-8).
 */

/** The C0 control characters a prompt may not hold (all but tab, LF, CR). */
export const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
/** A UTF-16 surrogate without its pair. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` may not be sent as `field`, or undefined when it may. */
export function textProblem(text: string, field: string): string | undefined {
  const control = CONTROL.exec(text);
  if (control) {
    const code = control[0].charCodeAt(0);
    const name = code === 0 ? 'a NUL character (U+0000)' : `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    return `${field} contains ${name} at position ${control.index}; remove it (tab, line feed and carriage return are the only control characters allowed)`;
  }
  const surrogate = LONE_SURROGATE.exec(text);
  if (surrogate)
    return `${field} is not valid Unicode: an unpaired surrogate (U+${surrogate[0].charCodeAt(0).toString(16).toUpperCase()}) at position ${surrogate.index}; send well-formed UTF-8 text`;
  return undefined;
}

/**
 * Characters as the vendors most likely count them: Unicode code points (their servers are Python,
 * where `len()` counts code points), so an emoji is one character, not two UTF-16 units. No vendor
 * documents the unit; this is the reading that refuses fewer valid prompts.
 */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
