/**
 * TEST AND DEMO AID — `node --import tsx scripts/fake-llm.ts [--json]`
 *
 * Starts fake LLM servers (OpenAI, Anthropic, Gemini, Ollama and an
 * OpenAI-compatible "llamafarm"), each speaking its provider's real wire
 * protocol on 127.0.0.1, for offline demos. They answer every request with a
 * canned streamed reply; they are not models. Prints shell exports for
 * LLM_PROVIDERS / LLM_FALLBACK pointing at them (or, with --json, only the
 * LLM_PROVIDERS JSON) and runs until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startFakeLlmServers } from '../test/fakes/llm';

const FAKE_KEY_ENV = 'FAKE_LLM_KEY';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
  const fakes = await startFakeLlmServers();
  const providers = [
    { name: 'llamafarm', type: 'openai-compatible', baseURL: fakes.compatible.baseURL, models: ['llamafarm-chat', 'llamafarm-embed'] },
    { name: 'ollama', type: 'ollama', baseURL: fakes.ollama.baseURL, models: ['llama3.2:1b', 'nomic-embed-text'] },
    {
      name: 'openai', type: 'openai', baseURL: fakes.openai.baseURL, apiKeyEnv: FAKE_KEY_ENV, models: ['gpt-4o-mini', 'text-embedding-3-small'],
      prices: { 'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 } },
    },
    {
      name: 'anthropic', type: 'anthropic', baseURL: fakes.anthropic.baseURL, apiKeyEnv: FAKE_KEY_ENV, models: ['claude-3-5-haiku-latest'],
      prices: { 'claude-3-5-haiku-latest': { inputPerMTok: 0.8, outputPerMTok: 4 } },
    },
    { name: 'gemini', type: 'google', baseURL: fakes.google.baseURL, apiKeyEnv: FAKE_KEY_ENV, models: ['gemini-2.0-flash', 'text-embedding-004'] },
  ];
  const json = JSON.stringify(providers);
  if (values.json) {
    process.stdout.write(`${json}\n`);
  } else {
    process.stdout.write(
      `# Fake LLM servers (test and demo aid, not real providers). Paste into the shell running Paddock:\n`
      + `export LLM_PROVIDERS='${json}'\n`
      + `export LLM_FALLBACK=llamafarm,ollama\n`
      + `export ${FAKE_KEY_ENV}=fake-key-not-a-secret\n`,
    );
  }
  process.stderr.write('fake LLM servers running; Ctrl-C to stop\n');

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    fakes.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`fake-llm: ${(err as Error).message}\n`);
  process.exit(1);
});
