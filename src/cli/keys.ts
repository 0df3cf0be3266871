/** `easel keys create|list|revoke`: gateway keys, stored hashed; the secret is shown once. */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { KeyStore } from '../server/auth/keys.js';
import { intFlag, numberFlag } from './parse.js';
import { CLI_STATE_DIR, reportError } from './run-command.js';

export function keysCommand(): Command {
  const keys = new Command('keys')
    .description('manage gateway keys (each with its own budget, rate limit and allowed models)')
    .option('--state <dir>', 'state folder (default .easel)');
  const withStore = (command: Command, body: (store: KeyStore) => void) => {
    const flags = command.optsWithGlobals() as { state?: string };
    let store: KeyStore | undefined;
    try {
      store = new KeyStore(join(flags.state ?? CLI_STATE_DIR, 'gateway.db'));
      body(store);
    } catch (error) {
      reportError(error);
    } finally {
      store?.close();
    }
  };
  keys
    .command('create')
    .description('create a key; its secret is printed once and only its hash is stored')
    .requiredOption('--name <name>', 'who or what the key is for')
    .addOption(new Option('--budget <usd>', 'spend cap for this key').argParser(numberFlag('--budget', 0, 1_000_000)))
    .addOption(new Option('--rpm <n>', 'requests per minute for this key').argParser(intFlag('--rpm', 1, 1_000_000)))
    .option('--models <id...>', 'models this key may use (default: any)')
    .action((flags: { name: string; budget?: number; rpm?: number; models?: string[] }, command: Command) =>
      withStore(command, (store) => {
        const { key, record } = store.create({ name: flags.name, budgetUsd: flags.budget, requestsPerMinute: flags.rpm, allowedModels: flags.models });
        console.log(`created ${record.id} (${record.name})`);
        console.log(`secret: ${key}`);
        console.log('store it now: easel keeps only its hash. Every gateway call now needs a key.');
      }),
    );
  keys
    .command('list')
    .description('list keys (never their secrets)')
    .action((_flags: unknown, command: Command) =>
      withStore(command, (store) => {
        const all = store.list();
        if (all.length === 0) return void console.log('no gateway keys: the gateway is open on loopback only');
        for (const k of all) {
          const budget = k.budgetUsd === null ? 'no budget' : `$${k.spentUsd.toFixed(4)} of $${k.budgetUsd}`;
          console.log(
            `${k.id}  ${k.prefix}…  ${k.name.padEnd(20)} ${budget.padEnd(22)} ${k.requestsPerMinute ? `${k.requestsPerMinute}/min` : 'no rate limit'}  ${k.allowedModels?.join(',') ?? 'any model'}${k.revokedAt ? '  REVOKED' : ''}`,
          );
        }
      }),
    );
  keys
    .command('revoke')
    .description('revoke a key at once')
    .argument('<id>', 'key id (see `easel keys list`)')
    .action((id: string, _flags: unknown, command: Command) =>
      withStore(command, (store) => {
        if (!store.revoke(id)) throw new Error(`no active key ${id}; \`easel keys list\` shows them`);
        console.log(`revoked ${id}`);
      }),
    );
  return keys;
}
