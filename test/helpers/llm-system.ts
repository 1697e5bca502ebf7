import { signToken } from '../../api/auth';
import { loadConfig } from '../../core/config';
import { silentLogger } from '../../core/logger';
import { startSystem } from '../../scripts/system';
import { startFakeLlmServers, type FakeLlmServers } from '../fakes/llm';
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

/**
 * The usual set-up of a test file on the fake LLM servers: starts them and one
 * test system in beforeAll, closes both in afterAll, and forgets the OpenAI
 * fake's script and requests before each test. Read `t` and `fakes` inside tests.
 */
export function useLlmTestSystem(overrides: Record<string, string> = {}): { readonly t: TestSystem; readonly fakes: FakeLlmServers } {
  let fakes: FakeLlmServers | undefined;
  let t: TestSystem | undefined;
  beforeAll(async () => {
    fakes = await startFakeLlmServers();
    t = await startLlmTestSystem(fakes, overrides);
  });
  afterAll(async () => {
    await t?.close();
    await fakes?.close();
  });
  beforeEach(() => fakes?.openai.reset());
  return {
    get t() {
      if (!t) throw new Error('the test system is not started yet (use it inside a test)');
      return t;
    },
    get fakes() {
      if (!fakes) throw new Error('the fake LLM servers are not started yet (use them inside a test)');
      return fakes;
    },
  };
}
