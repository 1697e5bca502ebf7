import fs from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../core/errors';
import { Secret } from './secret';

/**
 * LLM provider configuration: `LLM_PROVIDERS` (a JSON list inline, or the path of
 * a JSON file holding that list), `LLM_FALLBACK` (comma-separated provider
 * names) and `LLM_BALANCE` (balanced models, JSON). `parseLlmConfig(env)` is the only code in llm/ that reads the
 * environment; see docs/llm-providers.md for an example.
 */

export const providerTypes = ['openai', 'anthropic', 'google', 'ollama', 'openai-compatible'] as const;
export type ProviderType = (typeof providerTypes)[number];

export const capabilities = ['chat', 'embeddings', 'vision'] as const;
export type Capability = (typeof capabilities)[number];

/** Where each type looks for its key when `apiKeyEnv` is not given. Local servers need none. */
const DEFAULT_KEY_ENV: Partial<Record<ProviderType, string>> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  google: 'GOOGLE_GENERATIVE_AI_API_KEY',
};

const positiveInt = z.number().int().positive();
const capability = z.enum(capabilities);

export const priceSchema = z.strictObject({
  /** USD per million input (prompt) tokens. */
  inputPerMTok: z.number().nonnegative(),
  /** USD per million output (completion) tokens. */
  outputPerMTok: z.number().nonnegative(),
});

export const providerSchema = z
  .strictObject({
    /** Unique; models are addressed as `<name>/<model>`, so no `/` here. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only (no /)'),
    type: z.enum(providerTypes),
    /**
     * The SDK's base URL: openai `https://api.openai.com/v1`, anthropic
     * `https://api.anthropic.com/v1`, google `https://generativelanguage.googleapis.com/v1beta`,
     * ollama `http://127.0.0.1:11434` (no /api). Required for openai-compatible.
     */
    baseURL: z.url({ protocol: /^https?$/ }).optional(),
    /**
     * The NAME of the environment variable holding the API key (never the key).
     * Defaults: OPENAI_API_KEY, ANTHROPIC_API_KEY, GOOGLE_GENERATIVE_AI_API_KEY; none for
     * ollama and openai-compatible.
     */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable (e.g. OPENAI_API_KEY), not the key itself')
      .optional(),
    /** Known models, in preference order: a fallback to this provider uses the first one that fits. */
    models: z.array(z.string().min(1)).default([]),
    /** Capabilities of every model of this provider; default: inferred per model (see capabilitiesOf). */
    capabilities: z.array(capability).min(1).optional(),
    /** Per-model capabilities, overriding `capabilities`. */
    modelCapabilities: z.record(z.string(), z.array(capability).min(1)).optional(),
    /** Prices per model; with them, results carry `costUsd`. */
    prices: z.record(z.string(), priceSchema).optional(),
    /** Calls in flight to this provider across all workers on all hosts. Unset: no cap. */
    maxConcurrency: positiveInt.optional(),
    /** At most `requests` HTTP requests per sliding `perMs` window, across all workers. Unset: no limit. */
    rateLimit: z.strictObject({ requests: positiveInt, perMs: positiveInt }).optional(),
    /**
     * Longest silence in one attempt before it counts as a timeout (retried, and
     * a circuit failure): a non-streamed answer must complete within it; a
     * streamed one must deliver its next piece within it.
     */
    timeoutMs: positiveInt.default(120_000),
    retry: z
      .strictObject({
        /** HTTP attempts per call on this provider, first one included. */
        maxAttempts: positiveInt.max(10).default(3),
        baseDelayMs: positiveInt.default(500),
        maxDelayMs: positiveInt.default(8_000),
        /** A Retry-After longer than this is not waited for: the call moves on to the next provider. */
        maxRetryAfterMs: positiveInt.default(30_000),
      })
      .default({ maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 30_000 }),
    circuit: z
      .strictObject({
        /** Consecutive failed calls that open the circuit. */
        failureThreshold: positiveInt.default(5),
        /** How long an open circuit rejects calls before one probe is let through. */
        coolDownMs: positiveInt.default(30_000),
      })
      .default({ failureThreshold: 5, coolDownMs: 30_000 }),
  })
  .superRefine((p, ctx) => {
    if (p.type === 'openai-compatible' && !p.baseURL) {
      ctx.addIssue({ code: 'custom', path: ['baseURL'], message: 'is required for type openai-compatible' });
    }
    const noEmbeddings = p.type === 'anthropic';
    const caps = [p.capabilities ?? [], ...Object.values(p.modelCapabilities ?? {})].flat();
    if (noEmbeddings && caps.includes('embeddings')) {
      ctx.addIssue({ code: 'custom', path: ['capabilities'], message: 'anthropic has no embeddings API' });
    }
    if (p.models.length > 0) {
      for (const field of ['prices', 'modelCapabilities'] as const) {
        for (const model of Object.keys(p[field] ?? {})) {
          if (!p.models.includes(model)) {
            ctx.addIssue({ code: 'custom', path: [field, model], message: `model "${model}" is not in models` });
          }
        }
      }
    }
  });

export const llmProvidersSchema = z.array(providerSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((p, i) => {
    if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate provider name "${p.name}"` });
    seen.add(p.name);
  });
});

export type ProviderSettings = z.infer<typeof providerSchema>;
export type Price = z.infer<typeof priceSchema>;

/** A validated provider; `apiKey` prints as [redacted] and is revealed only to the SDK client. */
export interface ProviderConfig extends ProviderSettings {
  apiKey?: Secret;
}

export interface LlmConfig {
  providers: ProviderConfig[];
  /** Provider names tried, in order, after the requested one. */
  fallback: string[];
  /** LLM_BALANCE: balanced models by alias, addressed as `balance/<alias>`. Absent when LLM_BALANCE is unset. */
  balance?: Record<string, BalanceGroup>;
}

export const balanceStrategies = ['round_robin', 'least_latency'] as const;
export type BalanceStrategy = (typeof balanceStrategies)[number];

/** The provider prefix of balanced models: `balance/<alias>`. Reserved as a provider name while LLM_BALANCE is set. */
export const BALANCE_PREFIX = 'balance';

export interface BalanceTarget {
  provider: string;
  model: string;
}

export interface BalanceGroup {
  alias: string;
  strategy: BalanceStrategy;
  /** In configuration order; each call reorders them (llm/balance.ts). */
  targets: BalanceTarget[];
}

/**
 * LLM_BALANCE: `{"<alias>": {"strategy": "round_robin" | "least_latency", "targets": ["provider/model", …]}}`.
 * An alias follows the provider-name rules; a target names a configured provider and a model
 * (one of its `models` when it lists any); a target appears once per alias.
 */
export const llmBalanceSchema = z.record(
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'an alias: letters, digits, _ . - only (no /)'),
  z.strictObject({
    strategy: z.enum(balanceStrategies),
    targets: z.array(z.string().min(1)).min(1),
  }),
);

/**
 * Parses LLM_PROVIDERS, LLM_FALLBACK and LLM_BALANCE. Throws ConfigError listing every problem
 * as `LLM_PROVIDERS[1].type: ...`. Unset LLM_PROVIDERS means no providers.
 */
export function parseLlmConfig(
  env: Record<string, string | undefined>,
  readFile: (path: string, encoding: 'utf8') => string = fs.readFileSync,
): LlmConfig {
  const raw = readProvidersJson(env.LLM_PROVIDERS, readFile);
  const parsed = llmProvidersSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${formatPath(['LLM_PROVIDERS', ...i.path])}: ${i.message}`);
    throw new ConfigError(`invalid LLM configuration:\n${lines.join('\n')}`);
  }
  const problems: string[] = [];
  const providers: ProviderConfig[] = parsed.data.map((p, i) => {
    const keyEnv = p.apiKeyEnv ?? DEFAULT_KEY_ENV[p.type];
    if (!keyEnv) return { ...p };
    const value = env[keyEnv]?.trim();
    if (!value) {
      problems.push(`  LLM_PROVIDERS[${i}].apiKeyEnv: environment variable ${keyEnv} is not set`);
      return { ...p };
    }
    return { ...p, apiKeyEnv: keyEnv, apiKey: new Secret(value) };
  });

  const fallback = (env.LLM_FALLBACK ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const names = new Set(providers.map((p) => p.name));
  fallback.forEach((name, i) => {
    if (!names.has(name)) problems.push(`  LLM_FALLBACK[${i}]: unknown provider "${name}" (configured: ${[...names].join(', ') || 'none'})`);
  });
  if (new Set(fallback).size !== fallback.length) problems.push('  LLM_FALLBACK: lists a provider twice');
  const balance = parseBalance(env.LLM_BALANCE, providers, problems);
  if (problems.length > 0) throw new ConfigError(`invalid LLM configuration:\n${problems.join('\n')}`);
  return { providers, fallback, ...(balance ? { balance } : {}) };
}

/** LLM_BALANCE → groups by alias; problems are appended as `LLM_BALANCE.<alias>.targets[i]: …`. */
function parseBalance(value: string | undefined, providers: ProviderConfig[], problems: string[]): Record<string, BalanceGroup> | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const parsed = llmBalanceSchema.safeParse(parseJson(text, 'LLM_BALANCE'));
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((i) => `  ${formatPath(['LLM_BALANCE', ...i.path])}: ${i.message}`));
    return undefined;
  }
  const clash = providers.findIndex((p) => p.name === BALANCE_PREFIX);
  if (clash >= 0) problems.push(`  LLM_PROVIDERS[${clash}].name: "${BALANCE_PREFIX}" is reserved while LLM_BALANCE is set (balanced models are ${BALANCE_PREFIX}/<alias>)`);
  const byName = new Map(providers.map((p) => [p.name, p]));
  const groups: Record<string, BalanceGroup> = {};
  for (const [alias, g] of Object.entries(parsed.data)) {
    const targets: BalanceTarget[] = [];
    g.targets.forEach((ref, i) => {
      const where = `  LLM_BALANCE.${alias}.targets[${i}]`;
      const slash = ref.indexOf('/');
      const provider = slash < 0 ? ref : ref.slice(0, slash);
      const model = slash < 0 ? '' : ref.slice(slash + 1);
      const p = byName.get(provider);
      if (!p) return void problems.push(`${where}: unknown provider "${provider}" (configured: ${[...byName.keys()].join(', ') || 'none'})`);
      if (!model) return void problems.push(`${where}: "${ref}" names no model (write provider/model)`);
      if (p.models.length > 0 && !p.models.includes(model)) return void problems.push(`${where}: model "${model}" is not in the models of provider "${provider}"`);
      if (targets.some((t) => t.provider === provider && t.model === model)) return void problems.push(`${where}: "${ref}" is listed twice`);
      targets.push({ provider, model });
    });
    groups[alias] = { alias, strategy: g.strategy, targets };
  }
  return groups;
}

function readProvidersJson(value: string | undefined, readFile: (path: string, encoding: 'utf8') => string): unknown {
  const text = value?.trim();
  if (!text) return [];
  if (text.startsWith('[') || text.startsWith('{')) return parseJson(text, 'LLM_PROVIDERS');
  let content: string;
  try {
    content = readFile(text, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`invalid LLM configuration:\n  LLM_PROVIDERS: cannot read file ${text} (${code})`);
  }
  return parseJson(content, `LLM_PROVIDERS (file ${text})`);
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`invalid LLM configuration:\n  ${where}: not valid JSON (${(err as Error).message})`);
  }
}

/** ['LLM_PROVIDERS', 1, 'prices', 'gpt-4o', 'inputPerMTok'] → LLM_PROVIDERS[1].prices.gpt-4o.inputPerMTok */
function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, '');
}

/**
 * A model's capabilities: `modelCapabilities[model]`, else the provider's
 * `capabilities`, else inferred from the name — names containing "embed" are
 * embedding models, everything else chats. Vision must be declared.
 */
export function capabilitiesOf(provider: ProviderSettings, model: string): Capability[] {
  const declared = provider.modelCapabilities?.[model] ?? provider.capabilities;
  if (declared) return [...declared];
  if (/embed/i.test(model)) return provider.type === 'anthropic' ? [] : ['embeddings'];
  return ['chat'];
}
