/**
 * How to run `easel` as a separate process: the compiled CLI beside this module, or — when easel runs
 * from its TypeScript sources (tests, `tsx`) — the source CLI through tsx's loader. Derived from
 * this module's own location, so the library can start the background sandbox too, not only the CLI.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export function easelCommand(): string[] {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const loader = pathToFileURL(createRequire(here).resolve('tsx')).href;
    return [process.execPath, '--import', loader, fileURLToPath(new URL('../../cli/main.ts', here))];
  }
  return [process.execPath, fileURLToPath(new URL('../../cli/main.js', here))];
}
