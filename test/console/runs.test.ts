import { openBrowser, type ConsoleBrowser } from './browser';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';

/** The console's sign-in, runs and run pages in a real (headless) chromium against a real system. */
let t: TestSystem;
let b: ConsoleBrowser;

beforeAll(async () => {
  t = await startTestSystem();
  b = await openBrowser();
});

afterAll(async () => {
  await b?.close();
  await t?.close();
});

/** Polls `cond` (bounded): the server's progress, not a fixed sleep. */
async function until(cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const lines = (n: number, sleep: number) => `import time\nfor i in range(${n}):\n    print(f"line {i}", flush=True)\n    time.sleep(${sleep})\n`;

test('the page is served with a CSP and loads nothing from another host', async () => {
  const res = await fetch(`${t.url}/console`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  const js = await fetch(`${t.url}/console/app.js`);
  expect(js.headers.get('content-type')).toMatch(/javascript/);
  expect(await js.text()).not.toMatch(/https?:\/\/(?!localhost)/);
});

test('signing in: a refused token says so; a good one opens the runs page; the #token link is cleared', async () => {
  const { page } = b;
  await page.goto(`${t.url}/console`);
  await page.fill('#token', 'not-a-token');
  await page.click('#signin button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#signin-error')?.textContent !== '');
  expect(await page.textContent('#signin-error')).toContain('refused');
  await b.shot('signin');

  await page.fill('#token', await t.token('alice'));
  await page.click('#signin button[type=submit]');
  await page.locator('#submit-run').waitFor();
  expect(await page.textContent('#who')).toContain('alice (user)');
  expect(await page.locator('#bull-board').count()).toBe(0);

  await b.signIn(t.url, await t.token('root', 'admin'));
  expect(page.url()).not.toContain('token=');
  expect(await page.locator('#bull-board').count()).toBe(1);
  await page.click('#signout');
  await page.locator('#signin').waitFor();
});

test('submitting a code run: output arrives live, then the final status', async () => {
  const { page } = b;
  await b.signIn(t.url, await t.token('alice'));
  await page.fill('#run-code', lines(6, 0.3));
  await page.click('#submit');
  await page.waitForURL(/#run\/run_/);
  // A line shows while the run is still running: the output is live, not the final result.
  await page.locator('#output', { hasText: 'line 0' }).waitFor();
  const early = await page.getAttribute('#run-status .status', 'data-status');
  expect(early).toBe('running');
  await page.locator('#run-status [data-status=succeeded]').waitFor();
  await page.locator('#result-summary').waitFor();
  expect(await page.textContent('#output')).toBe(Array.from({ length: 6 }, (_, i) => `line ${i}\n`).join(''));
  expect(await page.textContent('#result-summary')).toContain('verdict ok');
  await b.shot('run');
});

test('a failing test is shown as failed with its message', async () => {
  const { page } = b;
  await b.signIn(t.url, await t.token('alice'));
  await page.fill('#run-code', 'def add(a, b):\n    return a - b\n');
  await page.fill('#run-tests', JSON.stringify([{ name: 'adds', code: 'assert add(1, 2) == 3, "add(1, 2) should be 3"' }, { name: 'zero', code: 'assert add(0, 0) == 0' }]));
  await page.click('#submit');
  await page.locator('#run-status [data-status=failed]').waitFor();
  await page.locator('#tests [data-test=adds] [data-status=failed]').waitFor();
  expect(await page.textContent('#tests [data-test=adds] .test-message')).toContain('add(1, 2) should be 3');
  await page.locator('#tests [data-test=zero] [data-status=passed]').waitFor();
  await b.shot('run-tests');
});

test('cancelling a running run from the page', async () => {
  const { page } = b;
  await b.signIn(t.url, await t.token('alice'));
  await page.fill('#run-code', lines(100, 0.2));
  await page.click('#submit');
  await page.locator('#output', { hasText: 'line 1' }).waitFor();
  const id = decodeURIComponent(page.url().split('#run/')[1] ?? '');
  await page.click('#cancel');
  await page.locator('#run-status [data-status=cancelled]').waitFor();
  expect(await page.isHidden('#cancel')).toBe(true);
  const run = await t.waitFor(id, isDone);
  expect(run.status).toBe('cancelled');
});

test('the run view reconnects mid-run with Last-Event-ID: no line lost, none twice', async () => {
  const { page } = b;
  await b.signIn(t.url, await t.token('alice'));
  const resumes: string[] = [];
  page.on('request', (r) => {
    const id = r.headers()['last-event-id'];
    if (r.url().includes('/events') && id) resumes.push(id);
  });
  await page.fill('#run-code', lines(15, 0.15));
  await page.click('#submit');
  await page.locator('#output', { hasText: 'line 2' }).waitFor();
  await page.click('#pause');
  await page.locator('#stream-state', { hasText: 'paused' }).waitFor();
  // Lines printed while paused must come back in the replay.
  const id = decodeURIComponent(page.url().split('#run/')[1] ?? '');
  await until(async () => (await t.call('GET', `/v1/runs/${id}/logs?limit=1000`)).body.items.filter((e: any) => e.type === 'stdout').length > 5);
  const before = await page.textContent('#output');
  await page.click('#pause');
  await page.locator('#run-status [data-status=succeeded]').waitFor();
  expect(resumes.length).toBe(1);
  expect(Number(resumes[0])).toBeGreaterThan(0);
  const text = await page.textContent('#output');
  expect(text?.startsWith(before ?? '-')).toBe(true);
  expect(text).toBe(Array.from({ length: 15 }, (_, i) => `line ${i}\n`).join(''));
});

test('the runs list filters by status and kind and pages', async () => {
  const { page } = b;
  await b.signIn(t.url, await t.token('bob'));
  for (let i = 0; i < 22; i++) await t.call('POST', '/v1/runs', { as: 'bob', body: { language: 'bash', code: `echo ${i}` } });
  await page.goto(`${t.url}/console#runs`);
  await page.reload();
  await page.locator('#runs tr[data-id]').first().waitFor();
  expect(await page.locator('#runs tr[data-id]').count()).toBe(20);
  await page.click('#next-page');
  await page.locator('#runs tr[data-id]').nth(2).waitFor({ state: 'detached' });
  expect(await page.locator('#runs tr[data-id]').count()).toBe(2);
  await page.selectOption('#filter-kind', 'autorun');
  await page.locator('#runs td.muted', { hasText: 'No runs.' }).waitFor();
  await page.selectOption('#filter-kind', '');
  await page.selectOption('#filter-status', 'cancelled');
  await page.locator('#runs td.muted', { hasText: 'No runs.' }).waitFor();
  await b.shot('runs');
});
