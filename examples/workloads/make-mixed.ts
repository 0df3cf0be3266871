/**
 * Writes mixed-1000.txt: the guide's four workload categories (product photography, technical
 * diagrams with text, marketing imagery, UI mockups), 250 prompts each, deterministic.
 * Run: npx tsx examples/workloads/make-mixed.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const products = [
  'wireless headphones',
  'ceramic coffee mug',
  'leather wallet',
  'running shoe',
  'smart watch',
  'desk lamp',
  'water bottle',
  'backpack',
  'sunglasses',
  'bluetooth speaker',
];
const settings = [
  'studio lighting, white background',
  'on a marble countertop, soft daylight',
  'floating on a pastel gradient',
  'on a wooden table, warm light',
  'top-down flat lay, minimal props',
];
const services = [
  'API Gateway, Auth Service, User Service',
  'Order Service, Payment Service, Notification Service',
  'Ingest, Queue, Worker, Storage',
  'Frontend, CDN, Load Balancer, Database',
];
const diagramKinds = ['microservices architecture diagram', 'data pipeline flowchart', 'network topology diagram', 'sequence diagram'];
const campaigns = ['summer sale', 'product launch', 'holiday season', 'back to school', 'new collection'];
const moods = ['vibrant and energetic', 'calm and premium', 'playful illustrated', 'cinematic photo', 'minimalist pastel'];
const slogans = ['"Fresh Every Morning"', '"Save 30% Today"', '"Built to Last"', '"Join the Beta"', '"Free Shipping"'];
const screens = ['mobile banking dashboard', 'recipe app home screen', 'analytics web dashboard', 'fitness tracker settings page', 'music player screen'];
const buttons = ['"Sign up"', '"Add to cart"', '"Start workout"', '"Transfer"', '"Play"'];

export function mixedWorkload(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 250; i++) lines.push(`Product photo of a ${products[i % 10]}, ${settings[i % 5]}, variation ${i + 1}`);
  for (let i = 0; i < 250; i++)
    lines.push(`A clean ${diagramKinds[i % 4]} with labels for each component: ${services[(i >> 2) % 4]}. White background, variation ${i + 1}`);
  for (let i = 0; i < 250; i++) {
    const withSlogan = i % 2 === 0;
    lines.push(
      `Marketing banner for a ${campaigns[i % 5]}, ${moods[(i >> 1) % 5]}${withSlogan ? `, headline text ${slogans[i % 5]}` : ', no text'}, variation ${i + 1}`,
    );
  }
  for (let i = 0; i < 250; i++)
    lines.push(`UI mockup of a ${screens[i % 5]} with a primary button labeled ${buttons[(i >> 1) % 5]}, flat design, variation ${i + 1}`);
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('./mixed-1000.txt', import.meta.url), `${mixedWorkload().join('\n')}\n`);
}
