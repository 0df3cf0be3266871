/**
 * Flattens a routing tree into an ordered list of model ids for one request: conditions are
 * tested against the request, a weighted node picks its first branch by weight (the others follow
 * as fallbacks), a fallback node keeps its order.
 */
import type { ParsedRequest } from '../core/request.js';
import type { Task } from '../core/task.js';
import type { Condition, Target } from '../core/policy.js';

export function flattenTargets(target: Target, request: ParsedRequest, task: Task, random: () => number = Math.random): string[] {
  const out: string[] = [];
  const visit = (node: Target) => {
    if ('model' in node) out.push(node.model);
    else if ('fallback' in node) node.fallback.forEach(visit);
    else if ('weighted' in node) weightedOrder(node.weighted, random).forEach(visit);
    else if (matches(node.when, request, task)) visit(node.then);
    else if (node.else) visit(node.else);
  };
  visit(target);
  return [...new Set(out)];
}

function weightedOrder(branches: { weight: number; target: Target }[], random: () => number): Target[] {
  const pool = [...branches];
  const order: Target[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, b) => sum + b.weight, 0);
    let draw = random() * total;
    const index = pool.findIndex((b) => (draw -= b.weight) < 0);
    order.push(pool.splice(index === -1 ? pool.length - 1 : index, 1)[0]!.target);
  }
  return order;
}

export function matches(condition: Condition, request: ParsedRequest, task: Task): boolean {
  const value = condition.field === 'task' ? task : condition.field === 'mask' ? request.mask !== undefined : request[condition.field];
  if (condition.exists !== undefined && (value !== undefined) !== condition.exists) return false;
  if (condition.equals !== undefined && value !== condition.equals) return false;
  if (condition.in !== undefined && !condition.in.includes(value as string | number)) return false;
  if (condition.matches !== undefined && !(typeof value === 'string' && new RegExp(condition.matches, 'i').test(value))) return false;
  if (condition.greaterThan !== undefined && !(typeof value === 'number' && value > condition.greaterThan)) return false;
  return true;
}
