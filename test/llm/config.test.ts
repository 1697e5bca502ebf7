import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { ConfigError } from '../../core/config';
import { capabilitiesOf, parseLlmConfig, Secret } from '../../llm';

const provider = (extra: Record<string, unknown> = {}) => ({ name: 'local', type: 'ollama', baseURL: 'http://127.0.0.1:11434', ...extra });

function errorOf(env: Record<string, string | undefined>, readFile?: (p: string, e: 'utf8') => string): ConfigError {
  try {
    parseLlmConfig(env, readFile);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected parseLlmConfig to throw');
}

describe('parseLlmConfig', () => {
  test('no LLM_PROVIDERS means no providers', () => {
    expect(parseLlmConfig({})).toEqual({ providers: [], fallback: [] });
    expect(parseLlmConfig({ LLM_PROVIDERS: '  ' })).toEqual({ providers: [], fallback: [] });
  });

  test('a valid inline list gets defaults, keys from the named variables, and the fallback order', () => {
    const config = parseLlmConfig({
      LLM_PROVIDERS: JSON.stringify([
        { name: 'farm', type: 'openai-compatible', baseURL: 'http://127.0.0.1:14345/v1', models: ['llama3'], maxConcurrency: 4 },
        { name: 'oa', type: 'openai', apiKeyEnv: 'MY_OPENAI_KEY', models: ['gpt-4o-mini'], prices: { 'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 } } },
        { name: 'claude', type: 'anthropic', models: ['claude-3-5-haiku-latest'], rateLimit: { requests: 50, perMs: 60000 } },
        provider(),
      ]),
      LLM_FALLBACK: ' local , oa ',
      MY_OPENAI_KEY: 'sk-openai-0123456789',
      ANTHROPIC_API_KEY: 'sk-ant-0123456789',
    });
    expect(config.fallback).toEqual(['local', 'oa']);
    const [farm, oa, claude, local] = config.providers;
    expect(farm).toMatchObject({ maxConcurrency: 4, timeoutMs: 120000, retry: { maxAttempts: 3, maxRetryAfterMs: 30000 }, circuit: { failureThreshold: 5 } });
    expect(farm!.apiKey).toBeUndefined();
    expect(oa!.apiKey).toBeInstanceOf(Secret);
    expect(oa!.apiKey!.reveal()).toBe('sk-openai-0123456789');
    // The conventional variable is the default for hosted types.
    expect(claude).toMatchObject({ apiKeyEnv: 'ANTHROPIC_API_KEY', rateLimit: { requests: 50, perMs: 60000 } });
    expect(claude!.apiKey!.reveal()).toBe('sk-ant-0123456789');
    expect(local!.models).toEqual([]);
    // The key never shows when the config is printed or serialised.
    expect(JSON.stringify(config)).not.toContain('sk-openai-0123456789');
    expect(inspect(config, { depth: 10 })).not.toContain('sk-openai-0123456789');
    expect(`${oa!.apiKey}`).toBe('[redacted]');
  });

  test('errors name the variable, the list index and the field', () => {
    const err = errorOf({ LLM_PROVIDERS: JSON.stringify([provider(), { name: 'x', type: 'openia' }, { name: 'y', type: 'openai-compatible' }]) });
    expect(err.message).toContain('LLM_PROVIDERS[1].type:');
    expect(err.message).toContain('LLM_PROVIDERS[2].baseURL: is required for type openai-compatible');
  });

  test.each([
    [{ name: 'a/b', type: 'ollama' }, 'LLM_PROVIDERS[0].name'],
    [{ ...provider(), maxConcurrency: 0 }, 'LLM_PROVIDERS[0].maxConcurrency'],
    [{ ...provider(), rateLimit: { requests: 5 } }, 'LLM_PROVIDERS[0].rateLimit.perMs'],
    [{ ...provider(), baseURL: 'ftp://x' }, 'LLM_PROVIDERS[0].baseURL'],
    [{ ...provider(), modelz: [] }, 'LLM_PROVIDERS[0]: Unrecognized key'],
    [{ ...provider(), models: ['a'], prices: { b: { inputPerMTok: 1, outputPerMTok: 1 } } }, 'LLM_PROVIDERS[0].prices.b: model "b" is not in models'],
    [{ ...provider(), models: ['a'], prices: { a: { inputPerMTok: -1, outputPerMTok: 1 } } }, 'LLM_PROVIDERS[0].prices.a.inputPerMTok'],
    [{ name: 'c', type: 'anthropic', capabilities: ['chat', 'embeddings'] }, 'LLM_PROVIDERS[0].capabilities: anthropic has no embeddings API'],
    [{ ...provider(), capabilities: ['telepathy'] }, 'LLM_PROVIDERS[0].capabilities[0]'],
  ])('%j → %s', (p, expected) => {
    expect(errorOf({ LLM_PROVIDERS: JSON.stringify([p]), ANTHROPIC_API_KEY: 'k' }).message).toContain(expected);
  });

  test('duplicate names are rejected', () => {
    expect(errorOf({ LLM_PROVIDERS: JSON.stringify([provider(), provider()]) }).message).toContain('LLM_PROVIDERS[1].name: duplicate provider name "local"');
  });

  test('apiKeyEnv must name a variable, and the variable must be set; the key is never echoed', () => {
    const key = 'sk-live-abcdef-123456';
    const looksLikeKey = errorOf({ LLM_PROVIDERS: JSON.stringify([provider({ apiKeyEnv: key })]) });
    expect(looksLikeKey.message).toContain('LLM_PROVIDERS[0].apiKeyEnv: must be the name of an environment variable');
    expect(looksLikeKey.message).not.toContain(key);

    const missing = errorOf({ LLM_PROVIDERS: JSON.stringify([{ name: 'oa', type: 'openai' }]) });
    expect(missing.message).toContain('LLM_PROVIDERS[0].apiKeyEnv: environment variable OPENAI_API_KEY is not set');
  });

  test('LLM_FALLBACK may only name configured providers', () => {
    const err = errorOf({ LLM_PROVIDERS: JSON.stringify([provider()]), LLM_FALLBACK: 'local,nope' });
    expect(err.message).toContain('LLM_FALLBACK[1]: unknown provider "nope" (configured: local)');
    expect(errorOf({ LLM_PROVIDERS: JSON.stringify([provider()]), LLM_FALLBACK: 'local,local' }).message).toContain('LLM_FALLBACK: lists a provider twice');
  });

  test('invalid JSON and a non-list are reported against LLM_PROVIDERS', () => {
    expect(errorOf({ LLM_PROVIDERS: '[{"name": ' }).message).toContain('LLM_PROVIDERS: not valid JSON');
    expect(errorOf({ LLM_PROVIDERS: '{"name": "x"}' }).message).toContain('LLM_PROVIDERS: Invalid input: expected array');
  });

  describe('file path form', () => {
    let dir: string;
    beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paddock-llm-config-'))));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('reads the list from a JSON file', () => {
      const file = path.join(dir, 'providers.json');
      fs.writeFileSync(file, JSON.stringify([provider({ models: ['llama3.2:1b'] })]));
      const config = parseLlmConfig({ LLM_PROVIDERS: file, LLM_FALLBACK: 'local' });
      expect(config.providers[0]).toMatchObject({ name: 'local', models: ['llama3.2:1b'] });
    });

    test('uses the injected reader', () => {
      const seen: string[] = [];
      const config = parseLlmConfig({ LLM_PROVIDERS: '/etc/paddock/llm.json' }, (p) => {
        seen.push(p);
        return JSON.stringify([provider()]);
      });
      expect(seen).toEqual(['/etc/paddock/llm.json']);
      expect(config.providers).toHaveLength(1);
    });

    test('a missing or broken file names the variable and the path', () => {
      expect(errorOf({ LLM_PROVIDERS: path.join(dir, 'nope.json') }).message).toMatch(/LLM_PROVIDERS: cannot read file .*nope\.json \(ENOENT\)/);
      const bad = path.join(dir, 'bad.json');
      fs.writeFileSync(bad, '[oops');
      expect(errorOf({ LLM_PROVIDERS: bad }).message).toContain(`LLM_PROVIDERS (file ${bad}): not valid JSON`);
      const wrong = path.join(dir, 'wrong.json');
      fs.writeFileSync(wrong, JSON.stringify([{ name: 'x', type: 'ollama', maxConcurrency: 'lots' }]));
      expect(errorOf({ LLM_PROVIDERS: wrong }).message).toContain('LLM_PROVIDERS[0].maxConcurrency');
    });
  });
});

describe('capabilitiesOf', () => {
  const p = (extra: Record<string, unknown>) => parseLlmConfig({ LLM_PROVIDERS: JSON.stringify([provider(extra)]) }).providers[0]!;

  test('per-model beats per-provider beats inference from the name', () => {
    const cfg = p({ models: ['llava', 'nomic-embed-text', 'llama3'], capabilities: ['chat'], modelCapabilities: { llava: ['chat', 'vision'] } });
    expect(capabilitiesOf(cfg, 'llava')).toEqual(['chat', 'vision']);
    expect(capabilitiesOf(cfg, 'nomic-embed-text')).toEqual(['chat']);
    const inferred = p({ models: ['llama3', 'nomic-embed-text'] });
    expect(capabilitiesOf(inferred, 'llama3')).toEqual(['chat']);
    expect(capabilitiesOf(inferred, 'nomic-embed-text')).toEqual(['embeddings']);
  });
});
