/**
 * A model's input schema, checked the way Replicate checks `input` before it queues a prediction:
 * missing required fields, wrong types, out-of-range numbers and values outside an enum are a 422
 * listing every invalid field. Fields the schema does not know are ignored, as the real API does.
 */
export type FieldSpec =
  | { type: 'string'; enum?: readonly string[]; default?: string; required?: boolean }
  | { type: 'integer' | 'number'; min?: number; max?: number; default?: number; required?: boolean }
  | { type: 'boolean'; default?: boolean; required?: boolean }
  /** A file input: an http(s) URL or a data: URI. */
  | { type: 'uri'; required?: boolean };

export type InputSchema = Readonly<Record<string, FieldSpec>>;

export interface InvalidField {
  type: string;
  field: string;
  description: string;
}

export type Validation = { ok: true; input: Record<string, unknown> } | { ok: false; invalid: InvalidField[] };

export function validateInput(schema: InputSchema, input: Record<string, unknown>): Validation {
  const invalid: InvalidField[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) {
    const value = input[name];
    const field = `input.${name}`;
    if (value === undefined || value === null) {
      if (spec.required) invalid.push({ type: 'required', field, description: `${name} is required` });
      else if ('default' in spec && spec.default !== undefined) out[name] = spec.default;
      continue;
    }
    const problem = checkValue(spec, value);
    if (problem) invalid.push({ field, ...problem });
    else out[name] = value;
  }
  return invalid.length > 0 ? { ok: false, invalid } : { ok: true, input: out };
}

function checkValue(spec: FieldSpec, value: unknown): Omit<InvalidField, 'field'> | undefined {
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') return typeError('string', value);
      if (spec.enum && !spec.enum.includes(value)) {
        return { type: 'enum', description: `must be one of the following: ${spec.enum.map((v) => JSON.stringify(v)).join(', ')}` };
      }
      return undefined;
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value) || (spec.type === 'integer' && !Number.isInteger(value))) return typeError(spec.type, value);
      const range = `allowed range: ${spec.min ?? '-inf'} to ${spec.max ?? 'inf'}`;
      if (spec.min !== undefined && value < spec.min)
        return { type: 'greater_than_equal', description: `Must be greater than or equal to ${spec.min} (${range})` };
      if (spec.max !== undefined && value > spec.max) return { type: 'less_than_equal', description: `Must be less than or equal to ${spec.max} (${range})` };
      return undefined;
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : typeError('boolean', value);
    case 'uri':
      return typeof value === 'string' && /^(https?:\/\/|data:)/i.test(value)
        ? undefined
        : { type: 'format', description: "Does not match format 'uri' (an http(s) URL or a data: URI)" };
  }
}

function typeError(expected: string, value: unknown): Omit<InvalidField, 'field'> {
  const given = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' && Number.isInteger(value) ? 'integer' : typeof value;
  return { type: 'invalid_type', description: `Invalid type. Expected: ${expected}, given: ${given}` };
}

/** Replicate's 422 detail: one `- field: description` line per invalid field. */
export function validationDetail(invalid: readonly InvalidField[]): string {
  return invalid.map((f) => `- ${f.field}: ${f.description}\n`).join('');
}
