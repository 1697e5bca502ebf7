/**
 * TEST AND DEMO AID — fake LLM provider servers, one per wire protocol, each on
 * 127.0.0.1 with an OS-assigned port. Tests script replies per request and
 * assert on the recorded requests; scripts/fake-llm.ts runs them for offline demos.
 */
import { startFakeAnthropic } from './anthropic';
import type { FakeLlmServer } from './fake-server';
import { startFakeGoogle } from './google';
import { startFakeOllama, type FakeOllamaServer } from './ollama';
import { startFakeOpenAI } from './openai';

export type { FakeLlmServer, FakeReply, FakeRequest, FakeUsage } from './fake-server';
export type { FakeOllamaServer } from './ollama';
export type { FakePullScript } from './ollama-pull';
export { startFakeAnthropic, startFakeGoogle, startFakeOllama, startFakeOpenAI };

export interface FakeLlmServers {
  openai: FakeLlmServer;
  anthropic: FakeLlmServer;
  google: FakeLlmServer;
  ollama: FakeOllamaServer;
  /** A second OpenAI-protocol fake standing in for an OpenAI-compatible server (LlamaFarm, vLLM…). */
  compatible: FakeLlmServer;
  close(): Promise<void>;
}

export async function startFakeLlmServers(): Promise<FakeLlmServers> {
  const started: FakeLlmServer[] = [];
  const track = async <S extends FakeLlmServer>(p: Promise<S>) => {
    const s = await p;
    started.push(s);
    return s;
  };
  try {
    const [openai, anthropic, google, ollama, compatible] = await Promise.all([
      track(startFakeOpenAI()),
      track(startFakeAnthropic()),
      track(startFakeGoogle()),
      track(startFakeOllama()),
      track(startFakeOpenAI(['llamafarm-chat', 'llamafarm-embed'])),
    ]);
    return { openai, anthropic, google, ollama, compatible, close: () => closeAll(started) };
  } catch (err) {
    await closeAll(started);
    throw err;
  }
}

async function closeAll(servers: FakeLlmServer[]): Promise<void> {
  await Promise.all(servers.map((s) => s.close()));
}
