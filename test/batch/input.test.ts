import { describe, expect, it } from 'vitest';
import { parseWorkload, parseWorkloadLines } from '../../src/batch/input.js';

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
    expect(() => parseWorkload('prompt,n\na,two\n', '.csv', 'w.csv')).toThrow(/w.csv line 2: n must be a number/);
  });

  it('numbers CSV records by the line they start on, past blank lines, quoted line breaks and CRLF', () => {
    const { items } = parseWorkloadLines('prompt,n\r\na,1\r\n\r\n\r\nb,2\r\n"c\r\nd",4\r\ne,5\r\n', '.csv');
    expect(items.map((i) => [i.line, i.request.prompt])).toEqual([
      [2, 'a'],
      [5, 'b'],
      [6, 'c\nd'],
      [8, 'e'],
    ]);
  });

  it('lists every line that is not a request, by number, and keeps the others (for dry runs)', () => {
    const jsonl = parseWorkloadLines('{"prompt":"a"}\n{oops\n["x"]\n\n{"prompt":"b"}\n', '.jsonl');
    expect(jsonl.items.map((i) => i.line)).toEqual([1, 5]);
    expect(jsonl.bad).toEqual([
      { line: 2, reason: 'not valid JSON' },
      { line: 3, reason: expect.stringMatching(/must be a JSON object/) },
    ]);
    const csv = parseWorkloadLines('prompt,n\na,1\nb,two\nc,1,extra\nd,2\n', '.csv');
    expect(csv.items.map((i) => i.line)).toEqual([2, 5]);
    expect(csv.bad).toEqual([
      { line: 3, reason: 'n must be a number (got "two")' },
      { line: 4, reason: expect.stringMatching(/not a valid CSV record \(Invalid Record Length/) },
    ]);
    // A run still stops at the first bad line.
    expect(() => parseWorkload('prompt,n\na,1\nc,1,extra\n', '.csv', 'w.csv')).toThrow(/w.csv line 3: not a valid CSV record/);
  });

  it('refuses unknown file types with the allowed ones', () => {
    expect(() => parseWorkload('x', '.xlsx')).toThrow(/use .txt .*\.jsonl or \.csv/);
  });
});
