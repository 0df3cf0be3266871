/** `easel models`: the catalog as a table, or JSON. */
import { Command } from 'commander';
import { CATALOG } from '../catalog/index.js';
import { costOf } from '../catalog/pricing.js';
import { parseSize } from '../core/size.js';
import type { CatalogModel } from '../catalog/types.js';

export function modelsCommand(): Command {
  return new Command('models')
    .description('list the models easel knows, with tasks, price and latency')
    .option('--json', 'print the catalog as JSON')
    .action((flags: { json?: boolean }) => {
      if (flags.json) {
        console.log(JSON.stringify(CATALOG, null, 2));
        return;
      }
      const rows = CATALOG.map((m) => [m.id, m.tasks.join(','), priceOfOne(m), `${(m.latency.p50Ms / 1000).toFixed(1)}s`, m.lifecycle.status]);
      const header = ['model', 'tasks', 'price/image', 'p50', 'status'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
    });
}

function priceOfOne(model: CatalogModel): string {
  const size = model.dimensions.kind === 'sizes' || model.dimensions.kind === 'free' ? parseSize(model.dimensions.default) : undefined;
  const cost = costOf(model, { images: 1, width: size?.width, height: size?.height });
  return cost.usd === null ? 'unknown' : `$${cost.usd.toFixed(4)}`;
}
