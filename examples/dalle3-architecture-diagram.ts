/**
 * The guide's DALL-E 3 example: a technical diagram, 1792x1024, standard quality, base64, with the
 * revised prompt printed. (OpenAI retired DALL-E 3 in 2026: easel warns, and OpenAI-compatible hosts
 * that still serve it — or the sandbox — answer.)
 */
import type { Easel } from '../src/index.js';
import { runStandalone } from './run-example.js';

export async function architectureDiagram(easel: Easel, outDir: string) {
  const result = await easel.generate({
    model: 'openai/dall-e-3',
    prompt:
      'A technical diagram showing a microservices architecture with 5 services connected by message queues. Clean, minimal style, white background. ' +
      'Label each service: API Gateway, Auth Service, User Service, Order Service, Notification Service.',
    size: '1792x1024',
    quality: 'standard',
    n: 1,
  });
  const file = await result.images[0]!.save(`${outDir}/architecture_diagram.png`);
  console.log(`Revised prompt: ${result.images[0]!.revisedPrompt}`);
  return { result, file };
}

if (import.meta.url === `file://${process.argv[1]}`) await runStandalone(architectureDiagram);
