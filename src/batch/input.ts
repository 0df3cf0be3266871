/**
 * Reads a workload file into requests: `.txt` (a prompt a line), `.jsonl` (one request object a
 * line) or `.csv` (a header row naming request fields). A bad line is reported with its line
 * number and never silently skipped: a run stops at the first, a dry run lists them all.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { InvalidRequestError } from '../core/errors.js';
import type { ImageRequest } from '../core/request.js';

export interface WorkloadItem {
  /** 1-based line (or CSV record) number in the file, for error messages and stable output names. */
  line: number;
  request: ImageRequest;
}

/** A line that cannot become a request at all (not JSON, not a CSV record, a non-number in a number column). */
export interface BadLine {
  line: number;
  reason: string;
}

export interface WorkloadLines {
  items: WorkloadItem[];
  bad: BadLine[];
}

const NUMERIC = new Set(['n', 'seed', 'strength', 'scale', 'timeoutMs']);
const BOOLEAN = new Set(['allowAdjustments']);

export function readWorkload(path: string): WorkloadItem[] {
  return firstBadThrown(readWorkloadLines(path), path);
}

/** Every line of the file: the requests, and each line that is not one (for dry runs to list them all). */
export function readWorkloadLines(path: string): WorkloadLines {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidRequestError(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { field: 'file' });
  }
  return parseWorkloadLines(text, extname(path).toLowerCase(), path);
}

export function parseWorkload(text: string, extension: string, name = 'workload'): WorkloadItem[] {
  return firstBadThrown(parseWorkloadLines(text, extension, name), name);
}

export function parseWorkloadLines(text: string, extension: string, name = 'workload'): WorkloadLines {
  if (extension === '.txt') return { items: fromText(text), bad: [] };
  if (extension === '.jsonl' || extension === '.ndjson') return fromJsonLines(text);
  if (extension === '.csv') return fromCsv(text, name);
  throw new InvalidRequestError(`${name}: unsupported file type ${JSON.stringify(extension || '(none)')}; use .txt (a prompt a line), .jsonl or .csv`, {
    field: 'file',
  });
}

function firstBadThrown({ items, bad }: WorkloadLines, name: string): WorkloadItem[] {
  const first = bad[0];
  if (first) throw new InvalidRequestError(`${name} line ${first.line}: ${first.reason}`, { field: `line ${first.line}` });
  return items;
}

function fromText(text: string): WorkloadItem[] {
  const items: WorkloadItem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const prompt = raw.trim();
    if (prompt && !prompt.startsWith('#')) items.push({ line: i + 1, request: { prompt } });
  });
  return items;
}

function fromJsonLines(text: string): WorkloadLines {
  const items: WorkloadItem[] = [];
  const bad: BadLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (!raw.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      bad.push({ line: i + 1, reason: 'not valid JSON' });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      bad.push({ line: i + 1, reason: 'each line must be a JSON object with request fields (prompt, model, size…)' });
      return;
    }
    items.push({ line: i + 1, request: value as ImageRequest });
  });
  return { items, bad };
}

function fromCsv(text: string, name: string): WorkloadLines {
  const bad: BadLine[] = [];
  let records: { record: Record<string, string>; info: { lines: number }; raw: string }[];
  try {
    // One kind of line end, so the parser's line count is the editor's (it counts a quoted CRLF twice).
    records = parseCsv(text.replace(/\r\n/g, '\n'), {
      columns: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
      info: true,
      raw: true,
      // A broken record is reported by its line, and the records around it still count.
      skip_records_with_error: true,
      on_skip: (error) => {
        bad.push({
          line: typeof error?.lines === 'number' ? error.lines : 0,
          reason: `not a valid CSV record (${error?.message.replace(/ on line \d+$/, '') ?? 'parse error'})`,
        });
        return undefined;
      },
    });
  } catch (error) {
    throw new InvalidRequestError(`${name}: not valid CSV (${error instanceof Error ? error.message : 'parse error'})`, { field: 'file' });
  }
  const items: WorkloadItem[] = [];
  for (const { record, info, raw } of records) {
    // The parser counts up to a record's last line; a quoted field may span several.
    const line = info.lines - (raw.trim().match(/\n/g)?.length ?? 0);
    const request: Record<string, unknown> = {};
    let reason: string | undefined;
    for (const [key, value] of Object.entries(record)) {
      if (value === '') continue;
      if (NUMERIC.has(key)) {
        const n = Number(value);
        if (!Number.isFinite(n)) reason ??= `${key} must be a number (got ${JSON.stringify(value)})`;
        request[key] = n;
      } else if (BOOLEAN.has(key)) request[key] = value === 'true';
      else request[key] = value;
    }
    if (reason) bad.push({ line, reason });
    else items.push({ line, request: request as ImageRequest });
  }
  bad.sort((a, b) => a.line - b.line);
  return { items, bad };
}
