import { signToken } from '../../api/auth';
import { loadConfig } from '../../core/config';
import { silentLogger } from '../../core/logger';
import { startSystem } from '../../scripts/system';
import type { FakeLlmServers } from '../fakes/llm';
import { testClient, testEnv, type TestSystem } from './system';

/** LLM_PROVIDERS pointing at the fake servers: "fake" (OpenAI protocol) with priced model "coder". */
export function fakeProvidersEnv(fakes: FakeLlmServers): Record<string, string> {
  return {
    LLM_PROVIDERS: JSON.stringify([
      {
        name: 'fake', type: 'openai-compatible', baseURL: fakes.openai.baseURL, models: ['coder'],
        prices: { coder: { inputPerMTok: 1, outputPerMTok: 2 } },
      },
    ]),
  };
}

/** A test system (API + worker unless PADDOCK_ROLE says otherwise) whose LLM provider is the fake. */
export async function startLlmTestSystem(fakes: FakeLlmServers, overrides: Record<string, string> = {}): Promise<TestSystem> {
  const config = loadConfig(testEnv({ ...fakeProvidersEnv(fakes), ...overrides }));
  const system = await startSystem(config, silentLogger());
  return testClient(system.api?.url ?? '', config, system, (sub, role = 'user') => signToken({ secret: config.JWT_SECRET }, { sub, role }));
}
