/**
 * Lifecycle is read against today's date: a model past its shutdown date is never auto-picked and
 * naming it is an error (unless its calls go to a host that still serves it); one within 30 days of
 * its shutdown warns. Fixed dates, through the `now` seam.
 */
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../src/catalog/index.js';
import { InvalidRequestError } from '../../src/core/errors.js';
import { parseRequest } from '../../src/easel.js';
import { planRoute } from '../../src/router/plan.js';
import { RoutingPolicySchema } from '../../src/core/policy.js';
import { testModel } from '../helpers/models.js';

const GPT_15 = 'openai/gpt-image-1.5';
const at = (date: string) => Date.parse(date);

function plan(now: number, fields: { model?: string; prefer?: string[] } = {}, servesRetired?: (provider: string) => boolean, catalog = CATALOG) {
  const request = parseRequest({ prompt: 'a lighthouse at dusk', model: fields.model });
  return planRoute({
    request,
    task: 'generate',
    model: request.model,
    policy: RoutingPolicySchema.parse({ prefer: fields.prefer }),
    inputs: { image: undefined, mask: undefined },
    catalog,
    now,
    servesRetired,
  });
}

describe('lifecycle by date', () => {
  it('auto routing never picks a model on or after its shutdown date, and says why', () => {
    const before = plan(at('2026-11-30T23:00:00Z'), { prefer: [GPT_15] });
    expect(before.chosen).toBe(GPT_15);
    for (const day of ['2026-12-01T00:00:00Z', '2027-03-01T00:00:00Z']) {
      const after = plan(at(day), { prefer: [GPT_15] });
      expect(after.ranked.map((c) => c.model.id)).not.toContain(GPT_15);
      expect(after.candidates.find((c) => c.model === GPT_15)?.rejectedBecause).toBe('retired by the vendor on 2026-12-01; use openai/gpt-image-2');
    }
  });

  it('naming a retired model is an error naming its replacement, unless its host still serves it', () => {
    const failed = (() => {
      try {
        plan(at('2026-12-03'), { model: GPT_15 });
      } catch (error) {
        return error;
      }
    })();
    expect(failed).toBeInstanceOf(InvalidRequestError);
    expect((failed as InvalidRequestError).message).toBe('openai/gpt-image-1.5 is retired by the vendor on 2026-12-01; use openai/gpt-image-2');
    const served = plan(at('2026-12-03'), { model: GPT_15 }, (provider) => provider === 'openai');
    expect(served.chosen).toBe(GPT_15);
    expect(served.ranked[0]!.warnings.filter((w) => w.kind === 'deprecated').map((w) => w.message)).toEqual([
      'openai/gpt-image-1.5 is shut down (since 2026-12-01); use openai/gpt-image-2. The vendor no longer serves it: only hosts that still do (OpenAI-compatible hosts, the sandbox) will answer',
    ]);
  });

  it('warns within 30 days of a shutdown date, even for a row still marked active', () => {
    const ending = testModel({ id: 'test/ending', lifecycle: { status: 'active', shutdownDate: '2027-01-31', replacement: 'test/next' } });
    const warningsOn = (date: string) =>
      plan(at(date), { model: 'test/ending' }, undefined, [ending]).ranked[0]!.warnings.filter((w) => w.kind === 'deprecated');
    expect(warningsOn('2026-12-01')).toEqual([]);
    expect(warningsOn('2027-01-01T00:00:00Z').map((w) => w.message)).toEqual([
      'test/ending is deprecated (shutting down 2027-01-31, in 30 days); use test/next',
    ]);
    expect(warningsOn('2027-01-30T12:00:00Z')[0]?.message).toContain('in 1 day)');
    expect(() => warningsOn('2027-01-31')).toThrow(/retired by the vendor on 2027-01-31; use test\/next/);
  });

  it('a deprecated model before its date runs with a dated warning', () => {
    const routed = plan(at('2026-11-20T00:00:00Z'), { model: GPT_15 });
    expect(routed.ranked[0]!.warnings.filter((w) => w.kind === 'deprecated').map((w) => w.message)).toEqual([
      'openai/gpt-image-1.5 is deprecated (shutting down 2026-12-01, in 11 days); use openai/gpt-image-2',
    ]);
  });
});
