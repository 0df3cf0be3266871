/**
 * Warnings are data returned with every result: a field the vendor ignores, a value easel had to
 * adjust, a model that is deprecated. Never a silent drop, never a silent clamp.
 */
export type WarningKind = 'unsupported' | 'adjusted' | 'deprecated' | 'sandbox' | 'other';

export interface Warning {
  kind: WarningKind;
  /** easel model id the warning is about. */
  model?: string;
  /** Request field concerned (`size`, `seed`, `providerOptions.fal.acceleration`…). */
  field?: string;
  /** What was asked for, when a value was adjusted. */
  requested?: unknown;
  /** What was applied instead. */
  applied?: unknown;
  message: string;
}
