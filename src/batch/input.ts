/**
 * Reads a workload file into requests: `.txt` (a prompt a line), `.jsonl` (one request object a
 * line) or `.csv` (a header row naming request fields). A bad line is reported with its line
 * number and never silently skipped.
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

const NUMERIC = new Set(['n', 'seed', 'strength', 'scale', 'timeoutMs']);
const BOOLEAN = new Set(['allowAdjustments']);

export function readWorkload(path: string): WorkloadItem[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidRequestError(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { field: 'file' });
  }
  return parseWorkload(text, extname(path).toLowerCase(), path);
}

export function parseWorkload(text: string, extension: string, name = 'workload'): WorkloadItem[] {
  if (extension === '.txt') return fromText(text);
  if (extension === '.jsonl' || extension === '.ndjson') return fromJsonLines(text, name);
  if (extension === '.csv') return fromCsv(text, name);
  throw new InvalidRequestError(`${name}: unsupported file type ${JSON.stringify(extension || '(none)')}; use .txt (a prompt a line), .jsonl or .csv`, { field: 'file' });
}

function fromText(text: string): WorkloadItem[] {
  const items: WorkloadItem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const prompt = raw.trim();
    if (prompt && !prompt.startsWith('#')) items.push({ line: i + 1, request: { prompt } });
  });
  return items;
}

function fromJsonLines(text: string, name: string): WorkloadItem[] {
  const items: WorkloadItem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (!raw.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new InvalidRequestError(`${name} line ${i + 1}: not valid JSON`, { field: `line ${i + 1}` });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidRequestError(`${name} line ${i + 1}: each line must be a JSON object with request fields (prompt, model, size…)`, { field: `line ${i + 1}` });
    }
    items.push({ line: i + 1, request: value as ImageRequest });
  });
  return items;
}

function fromCsv(text: string, name: string): WorkloadItem[] {
  let records: Record<string, string>[];
  try {
    records = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    throw new InvalidRequestError(`${name}: not valid CSV (${error instanceof Error ? error.message : 'parse error'})`, { field: 'file' });
  }
  return records.map((record, i) => {
    const request: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record)) {
      if (value === '') continue;
      if (NUMERIC.has(key)) {
        const n = Number(value);
        if (!Number.isFinite(n)) throw new InvalidRequestError(`${name} record ${i + 1}: ${key} must be a number (got ${JSON.stringify(value)})`, { field: key });
        request[key] = n;
      } else if (BOOLEAN.has(key)) request[key] = value === 'true';
      else request[key] = value;
    }
    return { line: i + 2, request: request as ImageRequest };
  });
}
