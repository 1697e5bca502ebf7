/**
 * TEST AND DEMO AID — `node --import tsx scripts/fake-llm.ts [--json]`
 *
 * Starts fake LLM servers (OpenAI, Anthropic, Gemini, Ollama and an
 * OpenAI-compatible "llamafarm"), each speaking its provider's real wire
 * protocol on 127.0.0.1, for offline demos. They are not models: behind them is
 * the demo model (test/fakes/llm/demo.ts), which recognises Paddock's own
 * prompts and answers autoruns and evaluations with working code and tests for
 * a few known tasks (test/fakes/llm/demo-tasks.ts), agent runs with protocol
 * text that runs code in the sandbox, and anything else with a short fixed
 * answer, streamed. Never a production path. Prints shell exports for
 * LLM_PROVIDERS / LLM_FALLBACK pointing at them (or, with --json, only the
 * LLM_PROVIDERS JSON) and runs until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startFakeLlmServers } from '../test/fakes/llm';
import { describeDemoTasks } from '../test/fakes/llm/demo-tasks';
import { demoProviders, useDemoModel } from '../test/fakes/llm/demo';

const FAKE_KEY_ENV = 'FAKE_LLM_KEY';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
  const fakes = await startFakeLlmServers();
  useDemoModel(fakes);
  const providers = demoProviders(fakes, FAKE_KEY_ENV);
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
  process.stderr.write(`fake LLM servers running (demo model; it writes code for: ${describeDemoTasks()}); Ctrl-C to stop\n`);

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
