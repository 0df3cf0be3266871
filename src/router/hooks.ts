/**
 * What a caller can hook into one request's run: durability (write-ahead, resume), pacing,
 * budgets and webhook completion. The batch engine and the gateway plug in here.
 */
import type { ImageReader } from '../core/image-input.js';
import type { WebhookCompletion } from '../providers/types.js';
import type { ReserveHook } from './reservation.js';

/** Hooks the batch engine uses to make items durable. */
export interface RunHooks {
  /** A vendor job id exists for call `call` of `model`: persist it before anything waits on it (a Promise is awaited). */
  onSubmitted?: (model: string, call: number, vendorRequestId: string) => void | Promise<void>;
  /** Resume calls submitted by an earlier run on `model` (by call index) instead of paying again. */
  resume?: { model: string; ids: ReadonlyMap<number, string>; orphans?: { sinceMs: number; taken: Set<string> } };
  /** Write-ahead: a call of `model` is about to be submitted (a Promise is awaited before the request leaves). */
  onSubmitting?: (model: string, call: number) => void | Promise<void>;
  /** Every failed vendor call (rate limits slow the batch pacer down). */
  onError?: (error: unknown) => void;
  /**
   * Waits for a slot with the vendor before each call; returns the release (the batch pacer).
   * Default: the process's pacer for each vendor (config `limits` over the catalog's).
   */
  acquire?: (provider: string, signal: AbortSignal) => Promise<() => void>;
  /**
   * Budgets: called before every vendor attempt (primary, each retry, each fallback, a hedge's
   * backup) with the most it can cost, and awaited (it may wait for money to free up). The
   * reservation is settled with what the attempt really cost, or released when nothing could have
   * been charged. A BudgetExceededError from it stops the request (no fallback).
   */
  reserve?: ReserveHook;
  /** Webhook completion for a vendor's async jobs (vendors that call back), instead of polling. */
  completion?: (provider: string) => WebhookCompletion | undefined;
  /**
   * How `image` and `mask` given as text become bytes. Default: file paths are read and URLs fetched
   * (a local user's request). A server running requests for untrusted clients injects its policy here.
   */
  readImage?: ImageReader;
}
