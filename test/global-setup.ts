/**
 * Builds the CLI once before the suite: tests run `easel` as users do, from the compiled JavaScript
 * (`dist/cli/main.js`). Starting a process that way costs half the CPU of compiling the sources with
 * tsx on every start, and the crash tests start a few hundred.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export default function buildCli(): void {
  const root = resolve(import.meta.dirname, '..');
  execFileSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', resolve(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  });
}
