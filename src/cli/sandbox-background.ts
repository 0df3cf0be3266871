/** `easel sandbox stop|status`: the background sandbox that commands with no keys start and reuse. */
import { Command } from 'commander';
import { backgroundSandboxStatus, stopBackgroundSandbox } from '../sandbox/background/stop.js';
import { CLI_STATE_DIR, reportError } from './run-command.js';

interface Flags {
  state?: string;
  json?: boolean;
}

// `--state` is also an option of `easel sandbox` itself, which takes it wherever it stands: read it with the parent's.
const flagsOf = (command: Command) => command.optsWithGlobals() as Flags;

export function sandboxStopCommand(): Command {
  return new Command('stop')
    .description('stop the background sandbox of a state folder (its jobs and ledger go with it)')
    .option('--state <dir>', 'state folder (default .easel)')
    .action(async (_flags: unknown, command: Command) => {
      const stateDir = flagsOf(command).state ?? CLI_STATE_DIR;
      try {
        const result = await stopBackgroundSandbox(stateDir);
        if (result.stopped) console.log(`stopped the background sandbox (pid ${result.record.pid}) at ${result.record.url}`);
        else console.log(`no background sandbox running for ${stateDir}: ${result.why}`);
      } catch (error) {
        reportError(error);
      }
    });
}

export function sandboxStatusCommand(): Command {
  return new Command('status')
    .description('where the background sandbox of a state folder runs, and what its ledger holds')
    .option('--state <dir>', 'state folder (default .easel)')
    .option('--json', 'print JSON')
    .action(async (_flags: unknown, command: Command) => {
      const flags = flagsOf(command);
      const stateDir = flags.state ?? CLI_STATE_DIR;
      try {
        const status = await backgroundSandboxStatus(stateDir);
        if (flags.json) return void console.log(JSON.stringify(status ? { running: true, ...status } : { running: false, stateDir }, null, 2));
        if (!status) return void console.log(`no background sandbox running for ${stateDir} (a command with no keys starts one)`);
        const { record, ledger } = status;
        console.log(
          `background sandbox (pid ${record.pid}, easel ${record.version}) at ${record.url}${status.state === 'unresponsive' ? ' — not answering' : ''}`,
        );
        console.log(`  since ${record.started}, time scale ${status.timeScale}, stops after ${formatMs(record.idleTimeoutMs)} idle`);
        if (ledger)
          console.log(
            `  ledger: ${ledger.charges.length} charges, $${ledger.totalUsd.toFixed(4)}${byVendor(ledger.charges)}${ledger.unpriced ? `, ${ledger.unpriced} unpriced` : ''} (${record.url}/_sandbox/ledger)`,
          );
        console.log(`  stop it with \`easel sandbox stop${stateDir === CLI_STATE_DIR ? '' : ` --state ${stateDir}`}\``);
      } catch (error) {
        reportError(error);
      }
    });
}

function byVendor(charges: readonly { vendor: string }[]): string {
  const counts = new Map<string, number>();
  for (const c of charges) counts.set(c.vendor, (counts.get(c.vendor) ?? 0) + 1);
  return counts.size ? ` (${[...counts].map(([v, n]) => `${v} ${n}`).join(', ')})` : '';
}

function formatMs(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}
