import { describe, expect, it } from 'vitest';
import { parseWorkload } from '../../src/batch/input.js';

describe('parseWorkload', () => {
  it('reads a prompt a line from .txt, skipping blanks and comments but keeping line numbers', () => {
    expect(parseWorkload('# header\nfirst\n\n  second  \n', '.txt')).toEqual([
      { line: 2, request: { prompt: 'first' } },
      { line: 4, request: { prompt: 'second' } },
    ]);
  });

  it('reads full requests from .jsonl and names the bad line', () => {
    expect(parseWorkload('{"prompt":"a","n":2}\n\n{"prompt":"b","model":"fal/flux/dev"}', '.jsonl')).toEqual([
      { line: 1, request: { prompt: 'a', n: 2 } },
      { line: 3, request: { prompt: 'b', model: 'fal/flux/dev' } },
    ]);
    expect(() => parseWorkload('{"prompt":"a"}\n{oops', '.jsonl', 'jobs.jsonl')).toThrow(/jobs.jsonl line 2: not valid JSON/);
    expect(() => parseWorkload('["a"]', '.jsonl')).toThrow(/must be a JSON object/);
  });

  it('reads .csv with typed numeric columns', () => {
    const items = parseWorkload('prompt,n,seed,model\n"a, with comma",2,42,\nb,,,stability/core\n', '.csv');
    expect(items).toEqual([
      { line: 2, request: { prompt: 'a, with comma', n: 2, seed: 42 } },
      { line: 3, request: { prompt: 'b', model: 'stability/core' } },
    ]);
    expect(() => parseWorkload('prompt,n\na,two\n', '.csv', 'w.csv')).toThrow(/w.csv record 1: n must be a number/);
  });

  it('refuses unknown file types with the allowed ones', () => {
    expect(() => parseWorkload('x', '.xlsx')).toThrow(/use .txt .*\.jsonl or \.csv/);
  });
});
