/**
 * Reads a prompt for needs the user did not state: a prompt that asks for legible text (quoted
 * strings, labels, signage, captions) needs a model that renders text.
 */
export interface PromptHint {
  capability: 'text-rendering';
  /** What in the prompt triggered it, for the explanation. */
  evidence: string;
}

const QUOTED = /["“”'‘’]([^"“”'‘’]{2,80})["“”'‘’]/;
const TEXT_WORDS =
  /\b(labels?|labell?ed|labeling|text that reads|that says|which says|reads|caption(?:ed|s)?|signage|sign that|headline|title text|typography|lettering|written|infographics?|diagrams? with (?:text|labels)|wordmark|the words?)\b/i;

export function promptHints(prompt: string | undefined): PromptHint[] {
  if (!prompt) return [];
  const quoted = QUOTED.exec(prompt);
  if (quoted) return [{ capability: 'text-rendering', evidence: `quoted text ${JSON.stringify(quoted[1])}` }];
  const word = TEXT_WORDS.exec(prompt);
  if (word) return [{ capability: 'text-rendering', evidence: `the prompt asks for text ("${word[0]}")` }];
  return [];
}
