/** easel's public library API. */
export { createEasel } from './easel.js';
export type { Easel, EaselOptions, EditRequest, GenerateRequest, ImageToImageRequest, UpscaleRequest, VariationRequest } from './easel.js';
export type { ImageRequest, ImageInput, ProviderOptions } from './core/request.js';
export type { ImageResult, GeneratedImage, Attempt, Cost } from './core/result.js';
export type { Warning, WarningKind } from './core/warnings.js';
export type { Task, OutputFormat, Quality, ProviderId } from './core/task.js';
export * from './core/errors.js';
export { CATALOG, findModel, lookupModel } from './catalog/index.js';
export type { CatalogModel, PriceRule, Dimensioning, Lifecycle } from './catalog/types.js';
export { costOf } from './catalog/pricing.js';
export { startSandbox } from './sandbox/server.js';
export type { Sandbox, SandboxUrls } from './sandbox/server.js';
export type { SandboxOptions } from './sandbox/options.js';
export type { EaselConfig } from './config/schema.js';
export type { RoutingPolicy, Target, Objective } from './router/policy.js';
export type { RoutePlan, CandidateReport } from './router/plan.js';
export { ProviderHealth } from './router/resilience.js';
export type { RouteDecision } from './core/result.js';
