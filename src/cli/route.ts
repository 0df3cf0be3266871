/** `easel route "prompt" --explain`: the routing decision without generating anything. */
import { Command } from 'commander';
import { decisionJson, printDecision } from './explain.js';
import { addRoutingOptions, policyFromFlags, type RoutingFlags } from './routing-options.js';
import { withEasel } from './run-command.js';
import { addModelOptions, type CommonFlags, requestFields } from './shared-options.js';

export function routeCommand(): Command {
  const command = new Command('route')
    .description('show which model the router would choose for a request, and why (nothing is generated)')
    .argument('<prompt>', 'the prompt to route')
    .option('--image <file>', 'input image (edit, image-to-image, upscale)')
    .option('--mask <file>', 'mask image (edit)')
    .addHelpText('after', '\nExample:\n  easel route "a diagram with labels for each service" --objective cheapest --explain');
  addRoutingOptions(command);
  return addModelOptions(command).action(async (prompt: string, flags: CommonFlags & RoutingFlags & { image?: string; mask?: string }) => {
    await withEasel(flags.config, async (easel) => {
      const plan = await easel.route({
        prompt,
        task: flags.task,
        image: flags.image,
        mask: flags.mask,
        ...requestFields(flags),
        model: flags.model ?? 'auto',
        policy: policyFromFlags(flags),
      });
      if (flags.json) console.log(JSON.stringify(decisionJson(plan), null, 2));
      else printDecision(plan);
    });
  });
}
