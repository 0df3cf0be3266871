/** `easel models`: the catalog (with the config's overrides) as a table, or JSON. */
import { Command } from 'commander';
import { CATALOG } from '../catalog/index.js';
import { applyOverrides } from '../catalog/overrides.js';
import { costOf } from '../catalog/pricing.js';
import type { CatalogModel } from '../catalog/types.js';
import { loadConfigFile } from '../config/load.js';
import { parseSize } from '../core/size.js';
import { reportError } from './run-command.js';

export function modelsCommand(): Command {
  return new Command('models')
    .description('list the models easel knows, with tasks, price, latency and lifecycle')
    .option('--json', 'print the catalog as JSON (every figure with its source and date)')
    .option('--config <file>', 'config file (its catalog overrides apply)')
    .action((flags: { json?: boolean; config?: string }) => {
      try {
        const catalog = applyOverrides(CATALOG, loadConfigFile(flags.config).catalog);
        if (flags.json) console.log(JSON.stringify(catalog, null, 2));
        else printTable(catalog);
      } catch (error) {
        reportError(error);
      }
    });
}

function printTable(catalog: readonly CatalogModel[]): void {
  const rows = catalog.map((m) => [m.id, m.tasks.join(','), priceOfOne(m), `${(m.latency.p50Ms / 1000).toFixed(1)}s`, textRating(m), m.lifecycle.status]);
  const header = ['model', 'tasks', 'price/image', 'p50', 'text', 'status'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows])
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}

function priceOfOne(model: CatalogModel): string {
  const size = model.dimensions.kind === 'sizes' || model.dimensions.kind === 'free' ? parseSize(model.dimensions.default) : undefined;
  const cost = costOf(model, { images: 1, width: size?.width, height: size?.height });
  return cost.usd === null ? 'unknown' : `$${cost.usd.toFixed(4)}`;
}

function textRating(model: CatalogModel): string {
  return model.ratings?.textInImage ?? '-';
}
