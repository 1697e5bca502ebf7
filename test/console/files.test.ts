import { openBrowser, type ConsoleBrowser } from './browser';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';

/** The run view's Files section in a real (headless) chromium against a real system. */
let t: TestSystem;
let b: ConsoleBrowser;

beforeAll(async () => {
  // matplotlib's import alone takes seconds of wall time on a loaded shared host.
  t = await startTestSystem({ SANDBOX_MAX_TIMEOUT_MS: '30000' });
  b = await openBrowser();
});

afterAll(async () => {
  await b?.close();
  await t?.close();
});

const PLOT = [
  'import matplotlib.pyplot as plt',
  'fig = plt.figure(figsize=(3, 2), dpi=40)',
  'plt.plot([0, 1, 2], [0, 1, 0])',
  'fig.savefig("plot.png")',
  'open("table.csv", "w").write("a,b\\n")',
].join('\n');

test('a run that saved a plot shows the PNG inline, and lists the other file for download', async () => {
  const created = await t.call('POST', '/v1/runs', { body: { language: 'python', code: PLOT, outputs: ['*.png', '*.csv'] } });
  await t.waitFor(created.body.id, isDone, { timeoutMs: 60_000 });
  const { page } = b;
  await b.signIn(t.url, await t.token('alice'));
  await page.goto(`${t.url}/console#run/${encodeURIComponent(created.body.id)}`);
  const img = page.locator('#run-files img.run-file-image');
  await img.waitFor();
  await page.waitForFunction(() => (document.querySelector('#run-files img') as HTMLImageElement | null)?.naturalWidth === 120);
  expect(await img.evaluate((e) => [(e as HTMLImageElement).naturalWidth, (e as HTMLImageElement).naturalHeight])).toEqual([120, 80]);
  expect(await page.locator('#run-files .run-file').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')))).toEqual(['plot.png', 'table.csv']);
  expect(await page.locator('#run-files [data-path="table.csv"] img').count()).toBe(0);
  const download = page.waitForEvent('download');
  await page.click('#run-files [data-path="table.csv"] button');
  expect((await download).suggestedFilename()).toBe('table.csv');
  await b.shot('run-files');
});
