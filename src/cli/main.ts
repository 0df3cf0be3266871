#!/usr/bin/env node
/** The `easel` command line: one file per command. */
import { Command } from 'commander';
import { batchCommand } from './batch.js';
import { editCommand } from './edit.js';
import { estimateCommand } from './estimate.js';
import { generateCommand } from './generate.js';
import { jobsCommand } from './jobs.js';
import { keysCommand } from './keys.js';
import { modelsCommand } from './models.js';
import { routeCommand } from './route.js';
import { sandboxCommand } from './sandbox.js';
import { serveCommand } from './serve.js';
import { upscaleCommand } from './upscale.js';
import { EASEL_VERSION } from '../version.js';
import { StoreError } from '../core/store-errors.js';

// A store error raised away from a command's own try (a background job's callback, a timer) is still
// one line and an exit code, never a stack trace. Anything else ends as Node would end it (its stack,
// exit 1): rethrowing from this handler would exit 7, Node's code for a failing handler.
const storeFailure = (error: unknown) => {
  process.stderr.write(
    error instanceof StoreError ? `error: ${error.message}\n` : `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
};
process.on('uncaughtException', storeFailure);
process.on('unhandledRejection', storeFailure);

const program = new Command('easel')
  .description(
    'Image generation over OpenAI, Stability AI, Replicate and FAL: one typed API, CLI and sandbox.\nWith no API keys, calls go to the built-in sandbox (placeholder images).',
  )
  .version(EASEL_VERSION)
  .showHelpAfterError('(run with --help for usage)')
  .addCommand(generateCommand())
  .addCommand(editCommand())
  .addCommand(upscaleCommand())
  .addCommand(batchCommand())
  .addCommand(jobsCommand())
  .addCommand(routeCommand())
  .addCommand(estimateCommand())
  .addCommand(modelsCommand())
  .addCommand(sandboxCommand())
  .addCommand(serveCommand())
  .addCommand(keysCommand());

await program.parseAsync(process.argv);
