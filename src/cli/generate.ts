/** `easel generate "prompt"`: one call, files written, model/cost/latency/paths printed. */
import { Command } from 'commander';
import { resultSummary } from '../core/result.js';
import { decisionJson, printDecision } from './explain.js';
import { printResult, saveImages } from './output.js';
import { addRoutingOptions, policyFromFlags, type RoutingFlags } from './routing-options.js';
import { withEasel } from './run-command.js';
import { addModelOptions, type CommonFlags, requestFields } from './shared-options.js';

export function generateCommand(): Command {
  const command = new Command('generate')
    .description('generate images from a prompt (the router picks a model unless --model names one)')
    .argument('<prompt>', 'what to draw')
    .addHelpText(
      'after',
      '\nExamples:\n  easel generate "a cozy coffee shop interior"\n  easel generate "logo, geometric" --model fal/flux/dev --aspect 16:9 -n 4 --out ./logos\n  easel generate "a sign that says \\"OPEN\\"" --objective cheapest --explain',
    );
  addRoutingOptions(command, { task: false });
  return addModelOptions(command).action(async (prompt: string, flags: CommonFlags & RoutingFlags) => {
    await withEasel(flags.config, async (easel) => {
      const result = await easel.generate({ prompt, ...requestFields(flags), policy: policyFromFlags(flags) });
      const files = await saveImages(result, flags.out, prompt);
      if (flags.json) {
        console.log(
          JSON.stringify(
            {
              ...resultSummary(result, files),
              route: result.route && flags.explain ? { ...decisionJson(result.route), tried: result.route.tried } : undefined,
            },
            null,
            2,
          ),
        );
        return;
      }
      printResult(result, files, false);
      if (flags.explain && result.route) printDecision(result.route);
    });
  });
}
