/** Routing flags shared by `generate`, `route`, `estimate` and `batch`, turned into one policy. */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { InvalidRequestError } from '../core/errors.js';
import { TASKS, type Task } from '../core/task.js';
import { CAPABILITIES } from '../router/capabilities.js';
import { type ParsedPolicy, RoutingPolicySchema } from '../core/policy.js';
import { choiceFlag, intFlag, numberFlag } from './parse.js';

export interface RoutingFlags {
  task?: Task;
  require?: string[];
  objective?: string;
  maxPrice?: number;
  maxLatency?: number;
  prefer?: string[];
  avoid?: string[];
  hedge?: boolean;
  retries?: number;
  policy?: string;
  explain?: boolean;
}

export function addRoutingOptions(command: Command, { task = true } = {}): Command {
  if (task) command.addOption(new Option('--task <task>', `what to do: ${TASKS.join(', ')}`).argParser(choiceFlag('--task', TASKS)));
  return command
    .addOption(
      new Option('--require <capability...>', `capabilities the model must have: ${CAPABILITIES.join(', ')}`).argParser(
        collect(choiceFlag('--require', CAPABILITIES)),
      ),
    )
    .option('--objective <objective>', 'cheapest, fastest, or quality:promptAdherence|photorealism|textInImage')
    .addOption(new Option('--max-price <usd>', 'most one image may cost').argParser(numberFlag('--max-price', 0.000001, 100)))
    .addOption(new Option('--max-latency <ms>', 'most a model’s typical latency may be').argParser(intFlag('--max-latency', 1, 3_600_000)))
    .option('--prefer <model-or-vendor...>', 'rank these first')
    .option('--avoid <model-or-vendor...>', 'never use these')
    .option('--hedge', 'start a backup on the next candidate when the first runs past its p95')
    .addOption(new Option('--retries <n>', 'retries per candidate on temporary failures').argParser(intFlag('--retries', 0, 10)))
    .option('--policy <file>', 'routing policy as JSON (requirements, objective, targets tree…)')
    .option('--explain', 'print why the model was chosen');
}

/** The policy from `--policy FILE` with the flags laid over it; errors name the flag or field. */
export function policyFromFlags(flags: RoutingFlags): ParsedPolicy {
  const base = (flags.policy ? readPolicy(flags.policy) : {}) as Record<string, unknown>;
  const merged = {
    ...base,
    ...(flags.require ? { require: flags.require } : {}),
    ...(flags.objective ? { objective: flags.objective } : {}),
    ...(flags.maxPrice !== undefined ? { maxPriceUsd: flags.maxPrice } : {}),
    ...(flags.maxLatency !== undefined ? { maxLatencyMs: flags.maxLatency } : {}),
    ...(flags.prefer ? { prefer: flags.prefer } : {}),
    ...(flags.avoid ? { avoid: flags.avoid } : {}),
    ...(flags.hedge ? { hedge: true } : {}),
    ...(flags.retries !== undefined ? { retries: flags.retries } : {}),
  };
  const parsed = RoutingPolicySchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(policy)';
    const hint = field === 'objective' ? ' (use cheapest, fastest, or quality:promptAdherence|photorealism|textInImage)' : '';
    throw new InvalidRequestError(`routing policy: ${field}: ${issue.message}${hint}`, { field: `policy.${field}` });
  }
  return parsed.data;
}

function readPolicy(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidRequestError(`--policy ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'not valid JSON'}`, {
      field: 'policy',
    });
  }
}

function collect<T>(parse: (value: string) => T) {
  return (value: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(value)];
}
