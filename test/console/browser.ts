import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (scripts/setup.sh installs it); never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Screenshots go to the ignored test-output/ folder; PADDOCK_UPDATE_SCREENSHOTS=1 refreshes the README's copies in docs/console/.
const ROOT = path.join(__dirname, '..', '..');
const SHOTS = process.env.PADDOCK_UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs', 'console') : path.join(ROOT, 'test-output', 'console');

export interface ConsoleBrowser {
  page: Page;
  context: BrowserContext;
  /** Opens the console signed in as `token` (through the #token= link that npm start prints). */
  signIn(url: string, token: string): Promise<void>;
  /** Saves test-output/console/<name>.png (docs/console/ with PADDOCK_UPDATE_SCREENSHOTS=1). */
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** A headless chromium with a fresh profile, removed again by close(). */
export async function openBrowser(): Promise<ConsoleBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'paddock-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1200, height: 800 } });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  return {
    page,
    context,
    async signIn(url, token) {
      await page.goto(`${url}/console#token=${token}`);
      await page.locator('#signout').waitFor();
    },
    async shot(name) {
      await mkdir(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
