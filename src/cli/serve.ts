/** `easel serve`: the HTTP gateway (OpenAI-compatible images API over every vendor). */
import { Command, Option } from 'commander';
import sharp from 'sharp';
import { createEasel } from '../easel.js';
import { createLogger, stderrDestination } from '../server/log.js';
import { startGateway } from '../server/serve.js';
import { intFlag } from './parse.js';
import { CLI_STATE_DIR, reportError } from './run-command.js';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the gateway: OpenAI-compatible /v1/images/* over every vendor, with routing, keys, budgets and metrics')
    .addOption(new Option('--port <n>', 'port').argParser(intFlag('--port', 0, 65535)).default(8080))
    .option('--host <address>', 'address to listen on (anything but loopback needs a gateway key)', '127.0.0.1')
    .option('--config <file>', 'config file (default ./easel.config.json)')
    .option('--state <dir>', 'state folder for keys, cache and jobs (default .easel)')
    .addOption(
      new Option(
        '--url-budget-mb <n>',
        'memory for images answered as URLs (response_format=url); when full the oldest are dropped first and their URLs answer 404',
      )
        .argParser(intFlag('--url-budget-mb', 1, 1_048_576))
        .env('EASEL_URL_BUDGET_MB')
        .default(128),
    )
    .option(
      '--public-url <url>',
      'URL clients and vendors reach the gateway at: response_format=url links, and Replicate/FAL webhooks that complete jobs without polling',
    )
    .addOption(
      new Option(
        '--redis-url <url>',
        'Redis shared by gateway replicas: webhook deliveries are recorded there against replays (default: in the state folder)',
      ).env('EASEL_REDIS_URL'),
    )
    .action(async (flags: { port: number; host: string; config?: string; state?: string; publicUrl?: string; redisUrl?: string; urlBudgetMb: number }) => {
      let easel: ReturnType<typeof createEasel> | undefined;
      // A long-running server reads each client image once (size, format, mask): libvips' operation
      // cache never hits and only holds memory, and one libvips thread per operation keeps the
      // allocator's arenas (and so the process's resident memory under hostile load) from spreading.
      sharp.cache(false);
      sharp.concurrency(1);
      try {
        const stateDir = flags.state ?? CLI_STATE_DIR;
        easel = createEasel({ configFile: flags.config, defaults: { stateDir }, config: flags.state ? { stateDir } : undefined, sandbox: 'background' });
        const gateway = await startGateway({
          easel,
          port: flags.port,
          host: flags.host,
          stateDir,
          publicUrl: flags.publicUrl,
          redisUrl: flags.redisUrl,
          urlBudgetBytes: flags.urlBudgetMb * 1024 * 1024,
          logger: createLogger(stderrDestination()),
        });
        console.log(`easel gateway listening on ${gateway.url}`);
        console.log(`  OpenAI-compatible: ${gateway.url}/v1  (e.g. new OpenAI({ baseURL: '${gateway.url}/v1', apiKey }))`);
        console.log(`  native: POST ${gateway.url}/v1/easel/generate · health: /healthz /readyz · metrics: /metrics`);
        const started = easel;
        const stop = () =>
          void gateway
            .close()
            .then(() => started.close())
            .then(() => process.exit(0));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      } catch (error) {
        reportError(error);
        await easel?.close().catch(() => undefined);
      }
    });
}
