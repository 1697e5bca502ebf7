import { startFakeLlmServers, type FakeLlmServers } from '../fakes/llm';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';
import { openBrowser, type ConsoleBrowser } from './browser';

/** The console's agents pages and priorities in a real (headless) chromium, against the fake LLM servers. */
let fakes: FakeLlmServers;
let t: TestSystem;
let b: ConsoleBrowser;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await startTestSystem({
    LLM_PROVIDERS: JSON.stringify([{ name: 'fake', type: 'openai-compatible', baseURL: fakes.openai.baseURL, models: ['coder', 'writer'] }]),
    // A busy machine must not turn the auto-run's passing test into a timeout.
    SANDBOX_MAX_TIMEOUT_MS: '30000',
  });
  b = await openBrowser();
  await b.signIn(t.url, await t.token('alice'));
});

afterAll(async () => {
  await b?.close();
  await t?.close();
  await fakes?.close();
});

const idIn = (url: string, page: string) => decodeURIComponent(url.split(`#${page}/`)[1] ?? '');

test('an agent: created from the page, auto-run, its history shows the run; edited; deleted with its runs kept', async () => {
  const { page } = b;
  await page.goto(`${t.url}/console#agents`);
  await page.locator('#agents td.muted', { hasText: 'No agents yet.' }).waitFor();
  await page.fill('#agent-create-name', 'adder');
  await page.fill('#agent-create-model', 'fake/coder');
  await page.fill('#agent-create-description', 'Writes add(a, b)');
  await page.fill('#agent-create-prompt', 'Write add(a, b).');
  await page.fill('#agent-create-tests', JSON.stringify([{ name: 'adds', code: 'assert add(1, 2) == 3' }]));
  await page.click('#agent-create button[type=submit]');
  await page.waitForURL(/#agent\/.+/);
  const agentId = idIn(page.url(), 'agent');
  expect((await t.call('GET', `/v1/agents/${agentId}`)).body).toMatchObject({ name: 'adder', model: 'fake/coder', language: 'python', prompt: 'Write add(a, b).', tests: [{ name: 'adds' }] });
  await page.locator('#agent-runs td.muted', { hasText: 'No runs yet' }).waitFor();

  fakes.openai.script({ type: 'text', text: '```python\ndef add(a, b):\n    return a + b\n```' });
  await page.selectOption('#autorun-priority', 'high');
  await page.click('#auto-run');
  await page.waitForURL(/#run\/run_/);
  const runId = idIn(page.url(), 'run');
  expect((await t.call('GET', `/v1/runs/${runId}`)).body.request.priority).toBe('high');
  await page.locator('#run-status [data-status=succeeded]').waitFor();
  expect(await page.textContent('#run-agent')).toContain(agentId);
  await page.locator('#tests [data-test=adds] [data-status=passed]').waitFor();

  await page.click('#run-agent');
  const row = page.locator(`#agent-runs tr[data-id="${runId}"]`);
  await row.waitFor();
  expect(await row.locator('[data-status]').getAttribute('data-status')).toBe('succeeded');
  expect(await row.textContent()).toContain('Write add(a, b).');
  await b.shot('agent');

  // Edit: the changed field only; a cleared optional field is removed.
  await page.click('#agent-edit-box summary');
  await page.fill('#agent-edit-description', '');
  await page.fill('#agent-edit-system', 'Use plain Python.');
  await page.click('#agent-edit button[type=submit]');
  await page.locator('#agent-notice', { hasText: 'Saved.' }).waitFor();
  const edited = (await t.call('GET', `/v1/agents/${agentId}`)).body;
  expect(edited.systemPrompt).toBe('Use plain Python.');
  expect(edited.description).toBeUndefined();
  expect(edited.name).toBe('adder');

  await page.goto(`${t.url}/console#agents`);
  await page.locator(`#agents tr[data-agent="${agentId}"]`).waitFor();
  await page.click(`#agents tr[data-agent="${agentId}"] a`);
  await page.click('#agent-delete');
  expect(await page.textContent('#agent-delete')).toContain('Really delete?');
  await page.click('#agent-delete');
  await page.waitForURL(/#agents$/);
  await page.locator('#agents td.muted', { hasText: 'No agents yet.' }).waitFor();
  expect((await t.call('GET', `/v1/agents/${agentId}`)).status).toBe(404);
  expect((await t.call('GET', `/v1/runs/${runId}`)).body).toMatchObject({ status: 'succeeded', agentId });
});

test('an agent setup the API refuses shows its reason on the form', async () => {
  const { page } = b;
  await page.goto(`${t.url}/console#agents`);
  await page.fill('#agent-create-name', 'nowhere');
  await page.fill('#agent-create-model', 'nosuch/model');
  await page.click('#agent-create button[type=submit]');
  await page.waitForFunction(() => (document.querySelector('#agent-create-error')?.textContent ?? '') !== '');
  expect(await page.textContent('#agent-create-error')).toMatch(/unknown model · model: .*nosuch/);
});

test('a priority chosen in the form goes with the run and shows on the run and in the list', async () => {
  const { page } = b;
  await page.goto(`${t.url}/console#runs`);
  await page.fill('#run-code', 'print("first in line")');
  await page.selectOption('#run-priority', 'critical');
  await page.click('#submit');
  await page.waitForURL(/#run\/run_/);
  const runId = idIn(page.url(), 'run');
  await page.locator('#run-status [data-status=succeeded]').waitFor();
  expect(await page.getAttribute('[data-priority]', 'data-priority')).toBe('critical');
  expect((await t.call('GET', `/v1/runs/${runId}`)).body.request.priority).toBe('critical');

  await page.goto(`${t.url}/console#runs`);
  const row = page.locator(`#runs tr[data-id="${runId}"]`);
  await row.waitFor();
  expect(await row.locator('[data-priority]').getAttribute('data-priority')).toBe('critical');
  await b.shot('priorities');
});

test('an experiment started with a priority shows it', async () => {
  const { page } = b;
  await page.goto(`${t.url}/console#experiments`);
  await page.fill('#exp-prompt', 'Name a colour.');
  await page.fill('#exp-models', 'fake/writer');
  await page.fill('#exp-rounds', '1');
  await page.selectOption('#exp-priority', 'low');
  await page.click('#submit-experiment button[type=submit]');
  await page.waitForURL(/#experiment\//);
  const expId = idIn(page.url(), 'experiment');
  expect(await page.getAttribute('[data-priority]', 'data-priority')).toBe('low');
  expect((await t.call('GET', `/v1/experiments/${expId}`)).body.request.priority).toBe('low');
  await page.locator('#exp-status [data-status=succeeded]').waitFor();
});

test('a run with no priority shows medium, the default', async () => {
  const created = await t.call('POST', '/v1/runs', { body: { language: 'bash', code: 'echo hi' } });
  await t.waitFor(created.body.id, isDone);
  await b.page.goto(`${t.url}/console#run/${created.body.id}`);
  await b.page.locator('#run-status [data-status=succeeded]').waitFor();
  expect(await b.page.getAttribute('[data-priority]', 'data-priority')).toBe('medium');
});
