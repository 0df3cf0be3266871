/**
 * A model's lifecycle on a given day. The catalog's `status` is what was known when the row was
 * written; the shutdown date decides on the day itself: a deprecated model whose date has passed is
 * retired, and one whose date is near deserves a warning even if its row still says active.
 */
import type { Warning } from '../core/warnings.js';
import type { CatalogModel } from './types.js';

/** How long before its shutdown date a model starts to warn. */
export const SHUTDOWN_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export type LifecycleState =
  | { state: 'active' }
  /** Deprecated, or its shutdown date is within SHUTDOWN_WARNING_DAYS. */
  | { state: 'ending'; daysLeft: number | undefined }
  | { state: 'retired' };

/** The lifecycle of `model` at `nowMs` (a shutdown date is the first day the vendor no longer serves it). */
export function lifecycleAt(model: CatalogModel, nowMs: number): LifecycleState {
  const { status, shutdownDate } = model.lifecycle;
  if (status === 'shutdown') return { state: 'retired' };
  const shutdownMs = shutdownDate === undefined ? undefined : Date.parse(shutdownDate);
  if (shutdownMs !== undefined && !Number.isNaN(shutdownMs)) {
    if (shutdownMs <= nowMs) return { state: 'retired' };
    const daysLeft = Math.ceil((shutdownMs - nowMs) / DAY_MS);
    if (status === 'deprecated' || daysLeft <= SHUTDOWN_WARNING_DAYS) return { state: 'ending', daysLeft };
  } else if (status === 'deprecated') return { state: 'ending', daysLeft: undefined };
  return { state: 'active' };
}

/** Why a retired model is refused, naming its replacement when the catalog has one. */
export function retiredReason(model: CatalogModel): string {
  const { shutdownDate, replacement } = model.lifecycle;
  return `retired by the vendor${shutdownDate ? ` on ${shutdownDate}` : ''}${replacement ? `; use ${replacement}` : ''}`;
}

/** The warning a model that is ending or retired (yet still used) carries, or undefined. */
export function lifecycleWarning(model: CatalogModel, nowMs: number): Warning | undefined {
  const at = lifecycleAt(model, nowMs);
  if (at.state === 'active') return undefined;
  const { shutdownDate, replacement } = model.lifecycle;
  const instead = replacement ? `; use ${replacement}` : '';
  if (at.state === 'retired') {
    return {
      kind: 'deprecated',
      model: model.id,
      message: `${model.id} is shut down${shutdownDate ? ` (since ${shutdownDate})` : ''}${instead}. The vendor no longer serves it: only hosts that still do (OpenAI-compatible hosts, the sandbox) will answer`,
    };
  }
  const when = shutdownDate
    ? ` (shutting down ${shutdownDate}${at.daysLeft !== undefined ? `, in ${at.daysLeft} day${at.daysLeft === 1 ? '' : 's'}` : ''})`
    : '';
  return { kind: 'deprecated', model: model.id, message: `${model.id} is deprecated${when}${instead}` };
}
