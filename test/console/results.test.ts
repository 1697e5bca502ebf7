import { startFakeLlmServers, type FakeLlmServers } from '../fakes/llm';
import { startTestSystem, type TestSystem } from '../helpers/system';
import { openBrowser, type ConsoleBrowser } from './browser';

/**
 * The run view's kind-specific results in a real (headless) chromium: a protocol
 * and an agent run's steps and actions, an evaluation's scores, a consensus with
 * its copy buttons. Two fake servers, so each model's answers are scripted apart.
 */
let fakes: FakeLlmServers;
let t: TestSystem;
let b: ConsoleBrowser;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await startTestSystem({
    LLM_PROVIDERS: JSON.stringify([
      { name: 'fake', type: 'openai-compatible', baseURL: fakes.openai.baseURL, models: ['coder', 'writer'], prices: { coder: { inputPerMTok: 1, outputPerMTok: 2 }, writer: { inputPerMTok: 3, outputPerMTok: 4 } } },
      { name: 'farm', type: 'openai-compatible', baseURL: fakes.compatible.baseURL, models: ['llamafarm-chat'] },
    ]),
    // A busy machine must not turn the evaluation's passing sample into a timeout.
    SANDBOX_MAX_TIMEOUT_MS: '30000',
  });
  b = await openBrowser();
  await b.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
  await b.signIn(t.url, await t.token('alice'));
});

afterAll(async () => {
  await b?.close();
  await t?.close();
  await fakes?.close();
});

const PROTOCOL = [
  '<thought>Shout the word, then echo what came back.</thought>',
  '<action type="tool" id="first">{"tool": "run_code", "language": "python", "code": "print(\'$word\'.upper())"}</action>',
  '<action type="tool" id="second" depends_on="first">{"tool": "run_code", "language": "bash", "code": "echo got $first.stdout"}</action>',
  // No model in a protocol run: an llm action fails, and the run with it.
  '<action type="llm" id="broken">{"prompt": "hi"}</action>',
  '<response final="true">done</response>',
].join('\n');

test('a protocol run submitted from the page: its steps, each action with its outcome, the response', async () => {
  const { page } = b;
  await page.goto(`${t.url}/console#runs`);
  await page.selectOption('#run-kind', 'protocol');
  await page.fill('#run-protocol', PROTOCOL);
  await page.fill('#run-context', '{"word": "hello"}');
  await page.click('#submit');
  await page.waitForURL(/#run\/run_/);
  await page.locator('#run-status [data-status]:is([data-status=failed], [data-status=succeeded])').waitFor();
  await page.locator('#agent-result').waitFor();
  expect(await page.getAttribute('#run-status .status', 'data-status')).toBe('failed');
  expect(await page.getAttribute('#actions tr[data-action=first] .status', 'data-status')).toBe('succeeded');
  expect(await page.getAttribute('#actions tr[data-action=second] .status', 'data-status')).toBe('succeeded');
  expect(await page.getAttribute('#actions tr[data-action=broken] .status', 'data-status')).toBe('failed');
  expect(await page.textContent('#actions tr[data-action=second] .action-output')).toContain('got HELLO');
  expect(await page.textContent('#actions tr[data-action=broken] .error')).toMatch(/llm actions need a model/);
  expect(await page.textContent('#agent-response')).toBe('done');
  // The steps, live: the thought, each action started and finished, the response.
  const steps = await page.locator('#steps .step').evaluateAll((els) => els.map((e) => e.getAttribute('data-step')));
  expect(steps.filter((s) => s === 'action_started')).toHaveLength(3);
  expect(steps.filter((s) => s === 'action_finished')).toHaveLength(3);
  expect(steps).toContain('thought');
  expect(steps).toContain('response');
  expect(await page.locator('#steps').isVisible()).toBe(true);
  expect(await page.textContent('#steps')).toContain('Shout the word');
});

test("an agent run: why it stopped, its tokens and cost, and its action's output", async () => {
  const { page } = b;
  fakes.openai.script({
    type: 'text',
    text: '<thought>Compute it.</thought>\n<action type="tool" id="calc">{"tool": "run_code", "language": "python", "code": "print(6*7)"}</action>\n<response final="true">The answer is 42.</response>',
  });
  await page.goto(`${t.url}/console#runs`);
  await page.selectOption('#run-kind', 'agent');
  await page.fill('#run-prompt', 'What is 6 times 7?');
  await page.fill('#run-model', 'fake/coder');
  await page.click('#submit');
  await page.waitForURL(/#run\/run_/);
  await page.locator('#run-status [data-status=succeeded]').waitFor();
  await page.locator('#agent-result').waitFor();
  expect(await page.textContent('#agent-summary')).toMatch(/stopped by final_response · 1 step · 1 action · \d+ in \/ \d+ out tokens · \$\d/);
  expect(await page.textContent('#actions tr[data-action=calc]')).toContain('succeeded');
  expect(await page.textContent('#actions tr[data-action=calc] .action-output')).toContain('"stdout":"42\\n"');
  expect(await page.textContent('#agent-response')).toBe('The answer is 42.');
  await b.shot('agent-run');
});

test('an evaluation from the compare page: pass rate, latency, tokens and cost per model', async () => {
  const { page } = b;
  fakes.openai.script({ type: 'text', text: '```python\ndef add(a, b):\n    return a + b\n```' });
  fakes.compatible.script({ type: 'text', text: '```python\ndef add(a, b):\n    return a - b\n```' });
  await page.goto(`${t.url}/console#compare`);
  await page.selectOption('#compare-kind', 'evaluation');
  await page.fill('#compare-prompt', 'Write add(a, b).');
  await page.fill('#compare-models', 'fake/coder\nfarm/llamafarm-chat');
  await page.fill('#compare-tests', JSON.stringify([{ name: 'adds', code: 'assert add(1, 2) == 3' }]));
  await page.click('#compare button[type=submit]');
  await page.waitForURL(/#run\/run_/);
  await page.locator('#run-status [data-status=succeeded]').waitFor();
  await page.locator('#evaluation').waitFor();
  const good = page.locator('#evaluation tr[data-model="fake/coder"]');
  const bad = page.locator('#evaluation tr[data-model="farm/llamafarm-chat"]');
  expect(await good.locator('.pass-rate').textContent()).toBe('100%');
  expect(await good.locator('.passed').textContent()).toBe('1 / 1');
  expect(await good.textContent()).toMatch(/\d+ in \/ \d+ out tokens/);
  expect(await bad.locator('.pass-rate').textContent()).toBe('0%');
  expect(await bad.locator('progress').evaluate((el) => (el as HTMLProgressElement).value)).toBe(0);
  await b.shot('evaluation');
});

test('a consensus: answers side by side, the judge\'s synthesis and agreement, totals, copy buttons', async () => {
  const { page } = b;
  fakes.openai.script({ type: 'text', text: 'Blue.' }, { type: 'text', text: 'Blue, like the sky.' });
  fakes.compatible.script({ type: 'text', text: 'Both say blue: Blue.' });
  await page.goto(`${t.url}/console#compare`);
  await page.selectOption('#compare-kind', 'consensus');
  await page.fill('#compare-prompt', 'Name a colour.');
  await page.fill('#compare-models', 'fake/coder\nfake/writer');
  await page.fill('#compare-judge', 'farm/llamafarm-chat');
  await page.click('#compare button[type=submit]');
  await page.waitForURL(/#run\/run_/);
  await page.locator('#run-status [data-status=succeeded]').waitFor();
  await page.locator('#totals').waitFor();
  expect((await page.locator('#answers .answer-text').allTextContents()).sort()).toEqual(['Blue, like the sky.', 'Blue.']);
  expect(await page.textContent('#consensus .consensus-text')).toBe('Both say blue: Blue.');
  expect(await page.textContent('#consensus-meta')).toMatch(/judged by farm\/llamafarm-chat · agreement \d+%/);
  expect(await page.textContent('#totals')).toMatch(/Total: \d+ in \/ \d+ out tokens · \$\d/);

  await page.click('#consensus .copy-consensus');
  await page.locator('#consensus .copy-consensus', { hasText: 'Copied' }).waitFor();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('Both say blue: Blue.');
  const card = page.locator('#answers .answer', { hasText: 'Blue, like the sky.' });
  await card.locator('.copy-answer').click();
  await card.locator('.copy-answer', { hasText: 'Copied' }).waitFor();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('Blue, like the sky.');
  await b.shot('consensus');
});
