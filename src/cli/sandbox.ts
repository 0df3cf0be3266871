/** `easel sandbox`: runs the vendor emulator and prints how to point easel or the official clients at it. */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { type FaultProfile, FaultProfileSchema } from '../sandbox/faults.js';
import { runBackgroundSandbox } from '../sandbox/background/daemon.js';
import { DEFAULT_IDLE_TIMEOUT_MS } from '../sandbox/background/launch.js';
import { startSandbox } from '../sandbox/server.js';
import { intFlag, numberFlag } from './parse.js';
import { CLI_STATE_DIR, reportError } from './run-command.js';
import { sandboxStatusCommand, sandboxStopCommand } from './sandbox-background.js';

interface SandboxFlags {
  port: number;
  host: string;
  timeScale: number;
  faults?: string;
  unlimited?: boolean;
  grain?: number;
  fixedSeed?: number;
  coldStarts: boolean;
  background?: boolean;
  state?: string;
  idleTimeout?: number;
}

/** No vendor rate limits: for load tests of what sits in front of the sandbox. */
const UNLIMITED = { requestsPerMinute: 100_000_000, concurrent: 100_000_000 };

export function sandboxCommand(): Command {
  return (
    new Command('sandbox')
      .description(
        'run the local emulator of the OpenAI, Stability, Replicate and FAL image APIs (`stop`, `status`: the background one commands use with no keys)',
      )
      .addOption(new Option('--port <n>', 'port to listen on (0 = any free port)').argParser(intFlag('--port', 0, 65535)).default(8787))
      .option('--host <address>', 'address to listen on', '127.0.0.1')
      .addOption(
        new Option('--time-scale <factor>', 'multiply vendor latencies, windows and Retry-After (0.01 = 100x faster)')
          .argParser(numberFlag('--time-scale', 0, 100))
          .default(1),
      )
      .option('--faults <file>', 'JSON fault profile: { rates, script, retryAfterMs, hangMs }')
      .option('--unlimited', "turn off the vendors' rate limits (for load tests)")
      .option('--no-cold-starts', 'no Replicate cold starts (for steady benchmarks)')
      .addOption(new Option('--grain <0-255>', 'noise drawn over placeholders so they compress like photos').argParser(intFlag('--grain', 0, 255)))
      .addOption(
        new Option('--fixed-seed <n>', 'seed for requests that give none, so repeated requests reuse one drawing (benchmarks)').argParser(
          intFlag('--fixed-seed', 0, 4_294_967_294),
        ),
      )
      .option('--state <dir>', 'with stop|status: the state folder whose background sandbox they mean (default .easel)')
      // What commands with no keys start by themselves; not meant to be typed.
      .addOption(new Option('--background', "run as the state folder's background sandbox (loopback, ephemeral port, recorded in sandbox.json)").hideHelp())
      .addOption(
        new Option('--idle-timeout <ms>', 'background sandbox: stop after this long without requests or running jobs')
          .argParser(intFlag('--idle-timeout', 1, 2 ** 31 - 1))
          .hideHelp(),
      )
      .addCommand(sandboxStopCommand())
      .addCommand(sandboxStatusCommand())
      .action(async (flags: SandboxFlags) => {
        try {
          if (flags.background) {
            await runBackgroundSandbox({
              stateDir: flags.state ?? CLI_STATE_DIR,
              timeScale: flags.timeScale,
              idleTimeoutMs: flags.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_MS,
            });
            return;
          }
          const faults = flags.faults ? readFaults(flags.faults) : undefined;
          const limits = flags.unlimited
            ? { openai: UNLIMITED, stability: { ...UNLIMITED, burst: undefined }, replicate: UNLIMITED, fal: UNLIMITED }
            : undefined;
          const sandbox = await startSandbox({
            port: flags.port,
            host: flags.host,
            timeScale: flags.timeScale,
            faults,
            limits,
            grain: flags.grain,
            fixedSeed: flags.fixedSeed,
            coldStart: flags.coldStarts ? undefined : { ms: 0, rate: 0 },
          });
          const u = sandbox.urls;
          console.log(`easel sandbox listening on ${sandbox.url} (time scale ${flags.timeScale}; images are placeholders)`);
          console.log('');
          console.log(`  OpenAI     ${u.openai}`);
          console.log(`  Stability  ${u.stability}`);
          console.log(`  Replicate  ${u.replicate}`);
          console.log(`  FAL queue  ${u.falQueue}`);
          console.log(`  FAL run    ${u.falRun}`);
          console.log(`  control    ${u.control}/ledger · /requests · /faults · /reset`);
          console.log('');
          console.log('Point easel at it:');
          console.log(`  export EASEL_SANDBOX_URL=${sandbox.url}`);
          console.log('Point the official clients at it (any non-empty key works):');
          console.log(`  export OPENAI_BASE_URL=${u.openai} OPENAI_API_KEY=sandbox`);
          console.log(`  new Replicate({ auth: 'sandbox', baseUrl: '${u.replicate}' })`);
          console.log(
            `  createFalClient({ credentials: 'sandbox', requestMiddleware: async (r) => ({ ...r, url: r.url.replace('https://queue.fal.run', '${u.falQueue}').replace('https://fal.run', '${u.falRun}') }) })`,
          );
          console.log('Press Ctrl+C to stop.');
          const stop = () => void sandbox.close().then(() => process.exit(0));
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        } catch (error) {
          reportError(error);
        }
      })
  );
}

function readFaults(path: string): FaultProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`--faults ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'not valid JSON'}`);
  }
  const parsed = FaultProfileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`--faults ${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}
