/** Prometheus metrics of the gateway: requests, latency, errors, spend, 429s and breaker state per vendor and model. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Attempt, ImageResult } from '../../core/result.js';
import type { ProviderHealth } from '../../router/resilience.js';

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2, isolated: 3 } as const;
/**
 * Distinct model labels kept; later ones count as `other`. Clients name models (Replicate runs any
 * `owner/name`), and every label value is a series held for the process's life.
 */
const MAX_MODEL_LABELS = 200;

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'easel_gateway_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'easel_vendor_latency_seconds',
    help: 'Vendor call latency by provider and model',
    labelNames: ['provider', 'model'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });
  private readonly attempts = new Counter({
    name: 'easel_vendor_attempts_total',
    help: 'Vendor attempts by provider, model and outcome',
    labelNames: ['provider', 'model', 'outcome', 'code'],
    registers: [this.registry],
  });
  private readonly spend = new Counter({
    name: 'easel_spend_usd_total',
    help: 'USD charged by provider and model',
    labelNames: ['provider', 'model'],
    registers: [this.registry],
  });
  private readonly rateLimited = new Counter({
    name: 'easel_vendor_rate_limited_total',
    help: '429 answers from vendors',
    labelNames: ['provider'],
    registers: [this.registry],
  });

  private readonly modelLabels = new Set<string>();

  constructor(health: ProviderHealth) {
    // Process memory, CPU and event-loop lag (process_resident_memory_bytes, nodejs_heap_size_used_bytes …).
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'easel_breaker_state',
      help: 'Circuit breaker per provider: 0 closed, 1 half-open, 2 open, 3 isolated',
      labelNames: ['provider'],
      registers: [this.registry],
      collect() {
        for (const provider of ['openai', 'stability', 'replicate', 'fal']) this.set({ provider }, BREAKER_VALUE[health.state(provider)]);
      },
    });
  }

  recordRequest(route: string, status: number): void {
    this.requests.inc({ route, status: String(status) });
  }

  recordResult(result: ImageResult): void {
    for (const attempt of result.attempts) this.recordAttempt(attempt);
  }

  recordAttempt(attempt: Pick<Attempt, 'provider' | 'model' | 'latencyMs' | 'outcome' | 'error' | 'costUsd'>): void {
    const model = this.modelLabel(attempt.model);
    this.latency.observe({ provider: attempt.provider, model }, attempt.latencyMs / 1000);
    this.attempts.inc({ provider: attempt.provider, model, outcome: attempt.outcome, code: attempt.error?.code ?? '' });
    if (attempt.error?.code === 'rate_limited') this.rateLimited.inc({ provider: attempt.provider });
    if (attempt.costUsd) this.spend.inc({ provider: attempt.provider, model }, attempt.costUsd);
  }

  private modelLabel(model: string): string {
    if (this.modelLabels.has(model)) return model;
    if (this.modelLabels.size >= MAX_MODEL_LABELS) return 'other';
    this.modelLabels.add(model);
    return model;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
