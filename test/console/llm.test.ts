import { startFakeLlmServers, startFakeOpenAI, type FakeLlmServers } from '../fakes/llm';
import { startTestSystem, type TestSystem } from '../helpers/system';
import { openBrowser, type ConsoleBrowser } from './browser';

/**
 * The console's LLM pages in a real (headless) chromium: integrations, compare,
 * experiments and model pulls, against the fake provider servers.
 */
let fakes: FakeLlmServers;
let t: TestSystem;
let b: ConsoleBrowser;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  // A provider whose server is gone: its port refuses connections.
  const gone = await startFakeOpenAI();
  const deadURL = gone.baseURL;
  await gone.close();
  t = await startTestSystem({
    LLM_PROVIDERS: JSON.stringify([
      { name: 'fake', type: 'openai-compatible', baseURL: fakes.openai.baseURL, models: ['coder', 'writer'], prices: { coder: { inputPerMTok: 1, outputPerMTok: 2 }, writer: { inputPerMTok: 3, outputPerMTok: 4 } } },
      { name: 'down', type: 'openai-compatible', baseURL: deadURL, models: ['ghost'] },
      { name: 'local', type: 'ollama', baseURL: fakes.ollama.url, models: ['llama3.2:1b'] },
    ]),
    PULL_PROGRESS_MIN_MS: '0',
    PULL_PROGRESS_MIN_PERCENT: '0',
  });
  b = await openBrowser();
  await b.signIn(t.url, await t.token('alice'));
});

afterAll(async () => {
  await b?.close();
  await t?.close();
  await fakes?.close();
});

test('integrations: Test shows success against a fake provider and failure against a stopped one', async () => {
  const { page } = b;
  await page.goto(`${t.url}/console#integrations`);
  const fake = page.locator('[data-integration=fake]');
  const down = page.locator('[data-integration=down]');
  await fake.waitFor();
  fakes.openai.script({ type: 'text', text: 'pong from the fake' });
  await fake.locator('.test-prompt').fill('ping');
  await fake.locator('.test-model').fill('coder');
  await fake.locator('.test-button').click();
  await fake.locator('.test-result.success').waitFor();
  expect(await fake.locator('.test-result').textContent()).toContain('pong from the fake');
  expect(await fake.locator('.test-result').textContent()).toMatch(/\d+ ms · .*coder/);
  const sent = fakes.openai.requests.at(-1);
  expect(JSON.stringify(sent?.body)).toContain('ping');

  await down.locator('.test-button').click();
  await down.locator('.test-result.failure').waitFor();
  expect(await down.locator('.test-result [data-status=failed]').count()).toBe(1);
  expect((await down.locator('.test-result .error').textContent())?.length).toBeGreaterThan(0);
  await b.shot('integrations');
});

test('compare: two models answer side by side with tokens and cost', async () => {
  const { page } = b;
  await page.goto(`${t.url}/console#compare`);
  await page.fill('#compare-prompt', 'Name a colour.');
  await page.fill('#compare-models', 'fake/coder\nfake/writer');
  fakes.openai.script({ type: 'text', text: 'Blue.' }, { type: 'text', text: 'Green.' });
  await page.click('#compare button[type=submit]');
  await page.waitForURL(/#run\//);
  await page.locator('#run-status [data-status=succeeded]').waitFor();
  const cards = page.locator('#answers .answer');
  await page.locator('#result-summary').waitFor();
  expect(await cards.count()).toBe(2);
  const texts = (await page.locator('#answers .answer-text').allTextContents()).sort();
  expect(texts).toEqual(['Blue.', 'Green.']);
  for (const meta of await page.locator('#answers .answer-meta').allTextContents()) expect(meta).toMatch(/\d+ in \/ \d+ out tokens · \$\d/);
  await b.shot('compare');
});

test('an experiment transcript fills live, with its iterations and termination reason', async () => {
  const { page } = b;
  await page.goto(`${t.url}/console#experiments`);
  await page.fill('#exp-prompt', 'Agree on a name for a cat.');
  await page.fill('#exp-models', 'fake/coder\nfake/writer');
  await page.fill('#exp-rounds', '2');
  // Slow replies: the transcript is watched while it grows.
  fakes.openai.script(
    { type: 'text', text: 'How about Tom?', chunks: 4, delayMs: 150 },
    { type: 'text', text: 'Tom is fine, or Felix.', chunks: 4, delayMs: 150 },
    { type: 'text', text: 'Felix it is.', chunks: 4, delayMs: 150 },
    { type: 'text', text: 'Agreed: Felix.', chunks: 4, delayMs: 150 },
  );
  await page.click('#submit-experiment button[type=submit]');
  await page.waitForURL(/#experiment\//);
  await page.locator('#transcript .message:not(.live)').first().waitFor();
  // The first message is shown while the experiment still runs: the page is live.
  expect(await page.getAttribute('#exp-status .status', 'data-status')).toBe('running');
  await page.locator('#exp-status [data-status=succeeded]').waitFor();
  await page.locator('#iterations .termination', { hasText: /\w/ }).waitFor();
  const messages = await page.locator('#transcript .message .text').allTextContents();
  expect(messages).toEqual(['How about Tom?', 'Tom is fine, or Felix.', 'Felix it is.', 'Agreed: Felix.']);
  expect(await page.locator('#transcript .message.live').count()).toBe(0);
  await b.shot('experiment');
});

test("a pull's progress bar reaches 100% and the model shows as installed", async () => {
  const { page } = b;
  await page.goto(`${t.url}/console#models`);
  await page.locator('#installed').waitFor();
  fakes.ollama.pulls.script({ steps: 6, delayMs: 40 });
  await page.fill('#pull-name', 'llama3.2:1b');
  await page.click('#pull button[type=submit]');
  const card = page.locator('#pulls [data-pull]').first();
  await card.waitFor();
  await card.locator('.percent', { hasText: '100%' }).waitFor();
  expect(await card.locator('progress').evaluate((el) => (el as HTMLProgressElement).value)).toBe(100);
  await card.locator('[data-status=succeeded]').waitFor();
  expect(await card.locator('.pull-cancel').isHidden()).toBe(true);
  await page.locator('#installed', { hasText: 'llama3.2:1b' }).waitFor();
  await b.shot('models');
});

test('a running pull can be cancelled from the page', async () => {
  const { page } = b;
  await page.goto(`${t.url}/console#models`);
  await page.locator('#installed').waitFor();
  fakes.ollama.pulls.script({ fail: { after: 2, kind: 'stall' } });
  await page.fill('#pull-name', 'qwen2.5:0.5b');
  await page.click('#pull button[type=submit]');
  const card = page.locator('#pulls [data-pull]').first();
  await card.locator('[data-status=running]').waitFor();
  await card.locator('.pull-cancel').click();
  await card.locator('[data-status=cancelled]').waitFor();
});

test('an autorun submitted from the page shows its result and artifacts, downloadable as JSON', async () => {
  const { page } = b;
  await page.goto(`${t.url}/console#runs`);
  await page.selectOption('#run-kind', 'autorun');
  await page.fill('#run-prompt', 'Write add(a, b).');
  await page.fill('#run-model', 'fake/coder');
  await page.fill('#run-tests', JSON.stringify([{ name: 'adds', code: 'assert add(1, 2) == 3' }]));
  fakes.openai.script({ type: 'text', text: '```python\ndef add(a, b):\n    return a + b\n```' });
  await page.click('#submit');
  await page.waitForURL(/#run\//);
  await page.locator('#run-status [data-status=succeeded]').waitFor();
  await page.locator('#artifacts').waitFor();
  expect(await page.textContent('#artifacts')).toContain('def add(a, b)');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-artifacts')]);
  expect(download.suggestedFilename()).toMatch(/^run_.*-artifacts\.json$/);
});
