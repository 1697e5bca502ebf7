/// <reference lib="dom" />
/**
 * The Paddock web console: a browser client of the HTTP API, one ES module, no
 * framework. Pages are chosen by the URL fragment (#runs, #run/<id>, …). The token
 * lives in sessionStorage and goes out as `Authorization: Bearer`; live views read
 * SSE through fetch() (EventSource cannot send that header) and resume after the
 * last seen event id. Text from the API is only ever set as textContent.
 */
export {};
import { runFilesSection } from './files.js';

const TOKEN_KEY = 'paddock.token';
const TERMINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'error', 'completed']);

// ---------- DOM helpers ----------

type Child = Node | string | null | undefined | false;
function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | ((e: Event) => void)> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false) el.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}
const $ = <T extends HTMLElement>(sel: string, root: ParentNode = document) => root.querySelector(sel) as T;
const badge = (status: string) => h('span', { class: `status status-${status}`, 'data-status': status }, status);
const field = (label: string, input: HTMLElement) => h('label', {}, h('span', {}, label), input);
const main = () => $<HTMLElement>('#main');

// ---------- token and API ----------

const token = () => sessionStorage.getItem(TOKEN_KEY);

/** The JWT's claims, read without verifying (the server verifies; this only picks what to show). */
function claims(): { sub?: string; role?: string } {
  try {
    const part = (token() ?? '').split('.')[1] ?? '';
    return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: string; role?: string };
  } catch {
    return {};
  }
}

class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    if (res.status === 401) signOut('Your token was refused; sign in again.');
    throw new ApiError(res.status, json?.error?.code ?? 'error', json?.error?.message ?? res.statusText);
  }
  return json as T;
}

export interface SseEvent {
  id: number;
  event: string;
  data: any;
}

/**
 * A resumable SSE reader over fetch(). Events with an id at or below the last one
 * seen are dropped, so a replay after a reconnect never shows a line twice. A
 * dropped connection is retried after a second; `end` stops it for good.
 */
class LiveStream {
  private lastId = 0;
  private controller: AbortController | undefined;
  private ended = false;
  private stopped = true;
  private retry: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly path: string, private readonly onEvent: (e: SseEvent) => void, private readonly onState: (s: 'live' | 'paused' | 'ended' | 'reconnecting') => void = () => {}) {}

  get live(): boolean {
    return !this.stopped;
  }

  start(): void {
    if (this.ended || !this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.controller?.abort();
    if (!this.ended) this.onState('paused');
  }

  private async connect(): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    const headers: Record<string, string> = { authorization: `Bearer ${token() ?? ''}`, accept: 'text/event-stream' };
    if (this.lastId > 0) headers['last-event-id'] = String(this.lastId);
    try {
      const res = await fetch(this.path, { headers, signal: controller.signal });
      if (!res.ok || !res.body) throw new ApiError(res.status, 'stream', `stream answered ${res.status}`);
      this.onState('live');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          this.frame(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          if (this.ended) {
            controller.abort();
            return;
          }
        }
      }
    } catch (err) {
      if (controller.signal.aborted) return;
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
        this.ended = true;
        this.onState('ended');
        return;
      }
    }
    if (this.stopped || this.ended) return;
    this.onState('reconnecting');
    this.retry = setTimeout(() => void this.connect(), 1000);
  }

  private frame(text: string): void {
    let id: number | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (name === 'id') id = Number(value);
      else if (name === 'event') event = value;
      else if (name === 'data') data.push(value);
    }
    if (data.length === 0 && id === undefined) return;
    if (id !== undefined) {
      if (id <= this.lastId) return;
      this.lastId = id;
    }
    let parsed: unknown = data.join('\n');
    try {
      parsed = JSON.parse(parsed as string);
    } catch {
      // not JSON: handed on as text
    }
    if (event === 'end') {
      this.ended = true;
      this.stopped = true;
      this.onState('ended');
    }
    try {
      this.onEvent({ id: id ?? 0, event, data: parsed });
    } catch (err) {
      console.error(err);
    }
  }
}

// ---------- shell and routing ----------

/** Live streams of the current page: stopped when the page changes. */
let pageStreams: LiveStream[] = [];
const live = (s: LiveStream) => {
  pageStreams.push(s);
  s.start();
  return s;
};

const PAGES: [string, string][] = [
  ['runs', 'Runs'],
  ['compare', 'Compare'],
  ['integrations', 'Integrations'],
  ['experiments', 'Experiments'],
  ['models', 'Models'],
];

function signOut(message?: string): void {
  sessionStorage.removeItem(TOKEN_KEY);
  location.hash = '#signin';
  if (message) sessionStorage.setItem('paddock.notice', message);
  render();
}

function shell(current: string): void {
  const nav = $('#nav');
  const who = $('#who');
  nav.replaceChildren();
  who.replaceChildren();
  if (!token()) return;
  for (const [id, label] of PAGES) nav.append(h('a', { href: `#${id}`, class: current === id ? 'active' : '' }, label));
  const c = claims();
  if (c.role === 'admin') nav.append(h('a', { href: `/admin/queues?token=${encodeURIComponent(token() ?? '')}`, target: '_blank', rel: 'noopener', id: 'bull-board' }, 'Bull Board'));
  who.append(`${c.sub ?? '?'} (${c.role ?? '?'})`, h('button', { id: 'signout', onclick: () => signOut() }, 'Sign out'));
}

function render(): void {
  for (const s of pageStreams) s.stop();
  pageStreams = [];
  const hash = location.hash.slice(1);
  if (hash.startsWith('token=')) {
    // A sign-in link (npm start prints one): keep the token, then drop it from the address bar and history.
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(hash.slice('token='.length)));
    history.replaceState(null, '', `${location.pathname}#runs`);
    return render();
  }
  const [page = 'runs', arg = ''] = hash.split('/');
  if (!token()) {
    shell('');
    return signInPage();
  }
  shell(page);
  const view = ({ runs: runsPage, run: () => runPage(decodeURIComponent(arg)), compare: comparePage, integrations: integrationsPage, experiments: experimentsPage, experiment: () => experimentPage(decodeURIComponent(arg)), models: modelsPage } as Record<string, () => void | Promise<void>>)[page];
  if (!view) {
    location.hash = '#runs';
    return;
  }
  Promise.resolve(view()).catch((err: unknown) => main().replaceChildren(h('p', { class: 'error' }, String(err instanceof Error ? err.message : err))));
}

// ---------- sign in ----------

function signInPage(): void {
  const notice = sessionStorage.getItem('paddock.notice');
  sessionStorage.removeItem('paddock.notice');
  const input = h('textarea', { id: 'token', rows: '4', placeholder: 'eyJhbGciOi…', autocomplete: 'off' });
  const error = h('p', { class: 'error', id: 'signin-error' }, notice ?? '');
  const form = h(
    'form',
    { id: 'signin' },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Paste a token (npm run --silent token -- --sub <name> --role <user|admin>). It is kept in this tab only.'),
    input,
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Sign in')),
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input.value.trim();
    void (async () => {
      const res = await fetch('/v1/runs?limit=1', { headers: { authorization: `Bearer ${value}` } });
      if (!res.ok) {
        error.textContent = res.status === 401 ? 'That token was refused.' : `The API answered ${res.status}.`;
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, value);
      location.hash = '#runs';
      render();
    })();
  });
  main().replaceChildren(form);
}

// ---------- runs ----------

function select(id: string, options: string[], value = ''): HTMLSelectElement {
  const s = h('select', { id, name: id });
  for (const o of options) s.append(h('option', { value: o }, o || 'any'));
  s.value = value;
  return s;
}

function parseTests(text: string): unknown[] | undefined {
  if (!text.trim()) return undefined;
  const v: unknown = JSON.parse(text);
  if (!Array.isArray(v)) throw new Error('tests must be a JSON array');
  return v;
}

async function runsPage(): Promise<void> {
  const status = select('filter-status', ['', 'queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'error']);
  const kind = select('filter-kind', ['', 'code', 'autorun', 'agent', 'compare', 'consensus', 'evaluation', 'protocol']);
  const table = h('table', { id: 'runs' });
  const pager = h('div', { class: 'row' });
  const cursors: (string | undefined)[] = [undefined];

  const load = async (page: number) => {
    const q = new URLSearchParams({ limit: '20' });
    if (status.value) q.set('status', status.value);
    if (kind.value) q.set('kind', kind.value);
    const cursor = cursors[page];
    if (cursor) q.set('cursor', cursor);
    const out = await api<{ items: any[]; nextCursor?: string | null }>('GET', `/v1/runs?${q}`);
    cursors[page + 1] = out.nextCursor ?? undefined;
    table.replaceChildren(h('tr', {}, h('th', {}, 'id'), h('th', {}, 'kind'), h('th', {}, 'status'), h('th', {}, 'created')));
    for (const r of out.items) {
      table.append(h('tr', { 'data-id': r.id }, h('td', {}, h('a', { href: `#run/${r.id}` }, r.id)), h('td', {}, r.kind ?? 'code'), h('td', {}, badge(r.status)), h('td', {}, new Date(r.createdAt).toLocaleString())));
    }
    if (out.items.length === 0) table.append(h('tr', {}, h('td', { colspan: '4', class: 'muted' }, 'No runs.')));
    pager.replaceChildren(
      h('button', { id: 'prev-page', disabled: page === 0, onclick: () => void load(page - 1) }, '← Newer'),
      h('span', { class: 'muted' }, `page ${page + 1}`),
      h('button', { id: 'next-page', disabled: !out.nextCursor, onclick: () => void load(page + 1) }, 'Older →'),
    );
  };
  status.addEventListener('change', () => void load(0));
  kind.addEventListener('change', () => void load(0));

  main().replaceChildren(h('h1', {}, 'Runs'), submitForm(), h('section', { class: 'box' }, h('div', { class: 'row' }, field('Status', status), field('Kind', kind)), table, pager));
  await load(0);
}

function submitForm(): HTMLFormElement {
  const kind = select('run-kind', ['code', 'autorun'], 'code');
  const language = select('run-language', ['python', 'javascript', 'bash'], 'python');
  const code = h('textarea', { id: 'run-code', rows: '8', placeholder: 'print("hello")' });
  const stdin = h('textarea', { id: 'run-stdin', rows: '2' });
  const prompt = h('textarea', { id: 'run-prompt', rows: '3', placeholder: 'Write add(a, b)…' });
  const model = h('input', { id: 'run-model', type: 'text', value: 'auto' });
  const tests = h('textarea', { id: 'run-tests', rows: '3', placeholder: '[{"name": "adds", "code": "assert add(1, 2) == 3"}]' });
  const error = h('p', { class: 'error', id: 'submit-error' });
  const codeFields = h('div', {}, field('Code', code), field('Stdin', stdin));
  const autoFields = h('div', { hidden: true }, field('Prompt', prompt), field('Model', model));
  kind.addEventListener('change', () => {
    codeFields.hidden = kind.value !== 'code';
    autoFields.hidden = kind.value === 'code';
  });
  const form = h('form', { id: 'submit-run' }, h('h2', {}, 'Submit a run'), h('div', { class: 'row' }, field('Kind', kind), field('Language', language)), codeFields, autoFields, field('Tests (JSON)', tests), h('button', { type: 'submit', id: 'submit' }, 'Submit'), error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      try {
        const body: Record<string, unknown> = { kind: kind.value, language: language.value };
        const t = parseTests(tests.value);
        if (t) body.tests = t;
        if (kind.value === 'code') {
          body.code = code.value;
          if (stdin.value) body.stdin = stdin.value;
        } else {
          body.prompt = prompt.value;
          if (model.value.trim()) body.model = model.value.trim();
        }
        const run = await api<{ id: string }>('POST', '/v1/runs', body);
        location.hash = `#run/${run.id}`;
      } catch (err) {
        error.textContent = err instanceof Error ? err.message : String(err);
      }
    })();
  });
  return form;
}

function download(name: string, value: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function runPage(id: string): Promise<void> {
  const run = await api<any>('GET', `/v1/runs/${encodeURIComponent(id)}`);
  const status = h('span', { id: 'run-status' }, badge(run.status));
  const streamState = h('span', { id: 'stream-state', class: 'muted' });
  const output = h('pre', { id: 'output' });
  const tokens = h('div', { id: 'tokens', class: 'columns' });
  const steps = h('ol', { id: 'steps' });
  const tests = h('table', { id: 'tests' });
  const result = h('div', { id: 'result' });
  const error = h('p', { class: 'error', id: 'run-error' });
  const tokenBoxes = new Map<string, HTMLPreElement>();
  const answers = h('div', { id: 'answers', class: 'columns' });

  const cancel = h('button', { id: 'cancel' }, 'Cancel');
  const pause = h('button', { id: 'pause' }, 'Pause live');
  const setStatus = (s: string) => {
    status.replaceChildren(badge(s));
    cancel.hidden = TERMINAL.has(s);
  };
  cancel.addEventListener('click', () => {
    void api('DELETE', `/v1/runs/${encodeURIComponent(id)}`).catch((err: Error) => (error.textContent = err.message));
  });

  const tokenBox = (model: string) => {
    let box = tokenBoxes.get(model);
    if (!box) {
      box = h('pre', { 'data-model': model });
      tokenBoxes.set(model, box);
      tokens.append(h('div', {}, h('div', { class: 'muted' }, model), box));
    }
    return box;
  };
  const answerCard = (a: any) => {
    const key = String(a.tag ?? a.requested ?? a.model);
    let card = answers.querySelector<HTMLElement>(`[data-tag="${CSS.escape(key)}"]`);
    if (!card) {
      card = h('div', { class: 'card answer', 'data-tag': key });
      answers.append(card);
    }
    const usage = a.usage ? `${a.usage.inputTokens ?? a.usage.input ?? 0} in / ${a.usage.outputTokens ?? a.usage.output ?? 0} out tokens` : '';
    card.replaceChildren(
      h('h2', {}, String(a.requested ?? key)),
      a.model && a.model !== (a.requested ?? key) ? h('div', { class: 'muted' }, `answered by ${a.model}`) : '',
      a.error ? h('p', { class: 'error' }, typeof a.error === 'string' ? a.error : JSON.stringify(a.error)) : h('pre', { class: 'answer-text' }, a.text ?? ''),
      h('div', { class: 'muted answer-meta' }, [usage, a.costUsd !== undefined && a.costUsd !== null ? `$${Number(a.costUsd).toFixed(6)}` : '', a.latencyMs !== undefined ? `${a.latencyMs} ms` : ''].filter(Boolean).join(' · ')),
    );
  };
  const testRow = (t: any) => {
    const row = tests.querySelector<HTMLElement>(`[data-test="${CSS.escape(t.name)}"]`) ?? h('tr', { 'data-test': t.name });
    row.replaceChildren(h('td', {}, t.name), h('td', {}, badge(t.status ?? (t.passed ? 'passed' : 'failed'))), h('td', { class: 'test-message' }, t.message ?? ''), h('td', { class: 'muted' }, t.durationMs !== undefined ? `${t.durationMs} ms` : ''));
    if (!row.parentNode) tests.append(row);
  };
  const showResult = async (final: any) => {
    const r = final.result;
    result.replaceChildren();
    if (final.error) result.append(h('p', { class: 'error' }, `${final.error.code ?? 'error'}: ${final.error.message ?? ''}`));
    if (r) {
      const summary = [r.verdict && `verdict ${r.verdict}`, r.exitCode !== undefined && r.exitCode !== null && `exit ${r.exitCode}`, r.wallMs !== undefined && `${r.wallMs} ms`, r.costUsd !== undefined && `$${Number(r.costUsd).toFixed(6)}`, r.totals?.costUsd !== undefined && `total $${Number(r.totals.costUsd).toFixed(6)}`].filter(Boolean).join(' · ') || final.status;
      result.append(h('h2', {}, 'Result'), h('p', { id: 'result-summary' }, summary), h('pre', { id: 'result-json' }, JSON.stringify(r, null, 2)));
      result.append(runFilesSection(id, r.files, r.filesDropped) ?? '');
      for (const t of r.tests ?? []) testRow(t);
      reveal();
      // Step events tag an answer `<index>:<model as requested>`; the result lists them in that order.
      (r.answers ?? []).forEach((a: any, i: number) => answerCard({ ...a, tag: `${i}:${a.requested}` }));
    }
    result.append(h('div', { class: 'row' }, h('button', { id: 'download-result', onclick: () => download(`${id}.json`, final) }, 'Download run (JSON)')));
    try {
      const artifacts = await api<any>('GET', `/v1/runs/${encodeURIComponent(id)}/artifacts`);
      const items: unknown[] = artifacts?.items ?? artifacts?.attempts ?? [];
      if (items.length > 0) {
        result.append(h('h2', {}, 'Artifacts'), h('pre', { id: 'artifacts' }, JSON.stringify(artifacts, null, 2)), h('button', { id: 'download-artifacts', onclick: () => download(`${id}-artifacts.json`, artifacts) }, 'Download artifacts (JSON)'));
      }
    } catch {
      // a kind without artifacts: nothing to show
    }
  };

  // A section shows once it has something in it (a compare run has no output, a code run no tokens).
  const sections = {
    output: h('section', { hidden: true }, h('h2', {}, 'Output'), output),
    tests: h('section', { hidden: true }, h('h2', {}, 'Tests'), tests),
    tokens: h('section', { hidden: true }, h('h2', {}, 'Tokens'), tokens),
    steps: h('details', { hidden: true }, h('summary', {}, 'Steps'), steps),
  };
  const reveal = () => {
    sections.output.hidden = !output.hasChildNodes();
    sections.tests.hidden = !tests.hasChildNodes();
    sections.tokens.hidden = !tokens.hasChildNodes();
    sections.steps.hidden = !steps.hasChildNodes();
  };
  const stream = new LiveStream(
    `/v1/runs/${encodeURIComponent(id)}/events`,
    (e) => {
      queueMicrotask(reveal); // after this event's content is in
      const d = e.data ?? {};
      switch (e.event) {
        case 'status':
          setStatus(d.status);
          break;
        case 'stdout':
        case 'stderr':
          output.append(h('span', { class: e.event }, String(d.chunk ?? '')));
          break;
        case 'token':
          tokenBox(String(d.model ?? 'model')).append(String(d.delta ?? ''));
          break;
        case 'step':
          if (d.name === 'answer') answerCard(d);
          steps.append(h('li', {}, `${d.name ?? 'step'} ${JSON.stringify(d)}`));
          break;
        case 'test':
          testRow(d);
          break;
        case 'end':
          // The run document turns terminal just after `end` goes out (events reach MongoDB first).
          void (async () => {
            let final = await api<any>('GET', `/v1/runs/${encodeURIComponent(id)}`);
            for (let i = 0; i < 50 && !TERMINAL.has(final.status); i++) {
              await new Promise((r) => setTimeout(r, 100));
              final = await api<any>('GET', `/v1/runs/${encodeURIComponent(id)}`);
            }
            setStatus(final.status);
            await showResult(final);
          })();
          break;
      }
    },
    (s) => {
      streamState.textContent = s;
      pause.textContent = s === 'paused' ? 'Resume live' : 'Pause live';
      pause.hidden = s === 'ended';
    },
  );
  pause.addEventListener('click', () => (stream.live ? stream.stop() : stream.start()));

  main().replaceChildren(
    h('h1', {}, `Run ${id}`),
    h('div', { class: 'row' }, h('span', { class: 'muted' }, `${run.kind ?? 'code'} · ${run.language ?? ''}`), status, cancel, pause, streamState),
    error,
    answers,
    sections.output,
    sections.tests,
    sections.tokens,
    sections.steps,
    result,
  );
  setStatus(run.status);
  live(stream);
}

// ---------- compare ----------

async function comparePage(): Promise<void> {
  const available = await api<{ items: any[] }>('GET', '/v1/models/available').catch(() => ({ items: [] }));
  const names = available.items.map((m) => String(m.id ?? `${m.provider}/${m.model ?? m.name}`));
  const prompt = h('textarea', { id: 'compare-prompt', rows: '3' });
  const models = h('textarea', { id: 'compare-models', rows: '3', placeholder: 'provider/model, one a line' });
  models.value = names.slice(0, 2).join('\n');
  const error = h('p', { class: 'error', id: 'compare-error' });
  const form = h('form', { id: 'compare' }, h('h1', {}, 'Compare models'), field('Prompt', prompt), field('Models', models), h('p', { class: 'muted' }, names.length ? `Configured: ${names.join(', ')}` : ''), h('button', { type: 'submit' }, 'Compare'), error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      try {
        const list = models.value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
        const run = await api<{ id: string }>('POST', '/v1/runs', { kind: 'compare', prompt: prompt.value, models: list });
        location.hash = `#run/${run.id}`;
      } catch (err) {
        error.textContent = err instanceof Error ? err.message : String(err);
      }
    })();
  });
  main().replaceChildren(form);
}

// ---------- integrations ----------

async function integrationsPage(): Promise<void> {
  const out = await api<{ items: any[] }>('GET', '/v1/integrations');
  const cards = h('div', { class: 'cards', id: 'integrations' });
  for (const p of out.items) {
    const prompt = h('input', { type: 'text', class: 'test-prompt', placeholder: 'prompt (optional)' });
    const model = h('input', { type: 'text', class: 'test-model', placeholder: 'model (optional)' });
    const result = h('div', { class: 'test-result' });
    const button = h('button', { class: 'test-button' }, 'Test');
    button.addEventListener('click', () => {
      button.disabled = true;
      result.replaceChildren(h('span', { class: 'muted' }, 'testing…'));
      const body: Record<string, string> = { integration_id: p.name };
      if (prompt.value.trim()) body.prompt = prompt.value.trim();
      if (model.value.trim()) body.model = model.value.trim();
      api<any>('POST', '/v1/integrations/test', body)
        .then((r) => {
          result.className = `test-result result ${r.success ? 'success' : 'failure'}`;
          result.replaceChildren(
            h('div', {}, badge(r.success ? 'ok' : 'failed'), ` ${r.latency_ms} ms`, r.model_used ? ` · ${r.model_used}` : ''),
            r.success ? h('pre', {}, r.response) : h('p', { class: 'error' }, r.error),
          );
        })
        .catch((err: Error) => {
          result.className = 'test-result result failure';
          result.replaceChildren(h('p', { class: 'error' }, err.message));
        })
        .finally(() => (button.disabled = false));
    });
    cards.append(
      h('div', { class: 'card', 'data-integration': p.name }, h('h2', {}, p.name, ' ', badge(p.health)), h('div', { class: 'muted' }, `${p.type} · ${p.modelCount} models · ${p.latencyMs} ms · circuit ${typeof p.circuit === 'string' ? p.circuit : (p.circuit?.state ?? '')}`), h('p', { class: 'error' }, p.error ?? ''), h('div', { class: 'row' }, prompt, model, button), result),
    );
  }
  main().replaceChildren(h('h1', {}, 'Integrations'), cards);
}

// ---------- experiments ----------

async function experimentsPage(): Promise<void> {
  const list = await api<{ items: any[] }>('GET', '/v1/experiments?limit=20');
  const prompt = h('textarea', { id: 'exp-prompt', rows: '3' });
  const models = h('textarea', { id: 'exp-models', rows: '2', placeholder: 'one agent per line: provider/model' });
  const rounds = h('input', { id: 'exp-rounds', type: 'number', value: '2', min: '1', max: '100' });
  const error = h('p', { class: 'error', id: 'exp-error' });
  const form = h('form', { id: 'submit-experiment' }, h('h2', {}, 'Start an experiment'), field('Task', prompt), field('Agents', models), field('Rounds', rounds), h('button', { type: 'submit' }, 'Start'), error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      try {
        const agents = models.value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean).map((model, i) => ({ name: `agent${i + 1}`, model, systemPrompt: `You are agent ${i + 1}.` }));
        const exp = await api<{ id: string }>('POST', '/v1/experiments', { task: { prompt: prompt.value }, agents, rounds: Number(rounds.value) });
        location.hash = `#experiment/${exp.id}`;
      } catch (err) {
        error.textContent = err instanceof Error ? err.message : String(err);
      }
    })();
  });
  const table = h('table', { id: 'experiments' }, h('tr', {}, h('th', {}, 'id'), h('th', {}, 'status'), h('th', {}, 'created')));
  for (const x of list.items) table.append(h('tr', {}, h('td', {}, h('a', { href: `#experiment/${x.id}` }, x.name ?? x.id)), h('td', {}, badge(x.status)), h('td', {}, new Date(x.createdAt).toLocaleString())));
  main().replaceChildren(h('h1', {}, 'Experiments'), form, table);
}

async function experimentPage(id: string): Promise<void> {
  const exp = await api<any>('GET', `/v1/experiments/${encodeURIComponent(id)}`);
  const status = h('span', { id: 'exp-status' }, badge(exp.status));
  const transcript = h('div', { id: 'transcript' });
  const iterations = h('table', { id: 'iterations' });
  const livebox = new Map<string, HTMLElement>();
  const showIterations = (items: any[]) => {
    iterations.replaceChildren(h('tr', {}, h('th', {}, 'iteration'), h('th', {}, 'status'), h('th', {}, 'messages'), h('th', {}, 'tokens'), h('th', {}, 'termination')));
    for (const it of items) iterations.append(h('tr', { 'data-iteration': String(it.iteration) }, h('td', {}, String(it.iteration)), h('td', {}, badge(it.status)), h('td', {}, String(it.messages ?? 0)), h('td', {}, String(it.tokens ?? 0)), h('td', { class: 'termination' }, it.termination ? `${it.termination.reason}${it.termination.detail ? ` (${it.termination.detail})` : ''}` : '')));
  };
  const known = new Map<number, any>();
  for (const it of exp.iterations ?? []) known.set(it.iteration, it);
  showIterations([...known.values()]);
  const key = (d: any) => `${d.iteration}:${d.seq}`;

  const stream = new LiveStream(`/v1/experiments/${encodeURIComponent(id)}/events`, (e) => {
    const d = e.data ?? {};
    if (e.event === 'status') status.replaceChildren(badge(d.status));
    else if (e.event === 'iteration') {
      known.set(d.iteration, d);
      showIterations([...known.values()].sort((a, b) => a.iteration - b.iteration));
    } else if (e.event === 'token') {
      let box = livebox.get(key(d));
      if (!box) {
        box = h('div', { class: 'message live' }, h('div', { class: 'who' }, `${d.agent ?? ''} · ${d.model ?? ''}`), h('div', { class: 'text' }));
        livebox.set(key(d), box);
        transcript.append(box);
      }
      $('.text', box).append(String(d.delta ?? ''));
    } else if (e.event === 'message') {
      const el = h('div', { class: 'message', 'data-agent': String(d.agent) }, h('div', { class: 'who' }, `${d.agent} · ${d.model} · round ${d.round} · iteration ${d.iteration}`), h('div', { class: 'text' }, String(d.content ?? '')), h('div', { class: 'muted' }, d.usage ? `${d.usage.inputTokens ?? 0} in / ${d.usage.outputTokens ?? 0} out tokens` : ''));
      const box = livebox.get(key(d));
      if (box) box.replaceWith(el);
      else transcript.append(el);
      livebox.delete(key(d));
    } else if (e.event === 'end') {
      void api<any>('GET', `/v1/experiments/${encodeURIComponent(id)}`).then((x) => {
        status.replaceChildren(badge(d.status ?? x.status));
        if (x.iterations) showIterations(x.iterations);
      });
    }
  });
  main().replaceChildren(
    h('h1', {}, `Experiment ${exp.name ?? id}`),
    h('div', { class: 'row' }, status, h('button', { id: 'exp-cancel', onclick: () => void api('DELETE', `/v1/experiments/${encodeURIComponent(id)}`).catch(() => undefined) }, 'Cancel'), h('button', { onclick: () => void api('GET', `/v1/experiments/${encodeURIComponent(id)}/export`).then((x) => download(`${id}.json`, x)) }, 'Export (JSON)')),
    h('p', { class: 'muted' }, exp.request?.task?.prompt ?? ''),
    h('h2', {}, 'Iterations'),
    iterations,
    h('h2', {}, 'Transcript'),
    transcript,
  );
  live(stream);
}

// ---------- models ----------

async function modelsPage(): Promise<void> {
  const installed = h('table', { id: 'installed' });
  const pulls = h('div', { id: 'pulls' });
  const name = h('input', { id: 'pull-name', type: 'text', placeholder: 'llama3.2:1b' });
  const error = h('p', { class: 'error', id: 'pull-error' });
  const form = h('form', { id: 'pull' }, h('h2', {}, 'Pull a model'), h('div', { class: 'row' }, name, h('button', { type: 'submit' }, 'Pull')), error);

  const loadInstalled = async () => {
    try {
      const out = await api<{ items?: any[]; models?: any[] }>('GET', '/v1/models');
      installed.replaceChildren(h('tr', {}, h('th', {}, 'name'), h('th', {}, 'size')));
      for (const m of out.items ?? out.models ?? []) installed.append(h('tr', {}, h('td', {}, m.name ?? m.model), h('td', {}, m.size ? `${(m.size / 1e6).toFixed(1)} MB` : '')));
    } catch (err) {
      installed.replaceChildren(h('tr', {}, h('td', { class: 'error' }, err instanceof Error ? err.message : String(err))));
    }
  };
  const shown = new Set<string>();
  const showPull = (p: any) => {
    if (shown.has(p.id)) return;
    shown.add(p.id);
    const bar = h('progress', { max: '100', value: String(p.progress?.percent ?? 0) });
    const pct = h('span', { class: 'percent' }, `${Math.floor(p.progress?.percent ?? 0)}%`);
    const state = h('span', { class: 'pull-status' }, badge(p.status));
    const cancel = h('button', { class: 'pull-cancel', hidden: TERMINAL.has(p.status), onclick: () => void api('DELETE', `/v1/models/pulls/${encodeURIComponent(p.id)}`).catch((err: Error) => (error.textContent = err.message)) }, 'Cancel');
    const detail = h('span', { class: 'muted' });
    pulls.prepend(h('div', { class: 'card', 'data-pull': p.id }, h('div', { class: 'row' }, h('strong', {}, p.model ?? p.name ?? p.id), state, bar, pct, cancel), detail));
    if (TERMINAL.has(p.status)) return;
    live(
      new LiveStream(`/v1/models/pulls/${encodeURIComponent(p.id)}/events`, (e) => {
        const d = e.data ?? {};
        if (e.event === 'progress') {
          bar.value = d.percent ?? 0;
          pct.textContent = `${Math.floor(d.percent ?? 0)}%`;
          detail.textContent = [d.phase, d.bytesPerSecond ? `${(d.bytesPerSecond / 1e6).toFixed(1)} MB/s` : '', d.etaSeconds ? `eta ${d.etaSeconds} s` : ''].filter(Boolean).join(' · ');
        } else if (e.event === 'status') {
          state.replaceChildren(badge(d.status));
          cancel.hidden = TERMINAL.has(d.status);
        } else if (e.event === 'error' || e.event === 'retry') {
          detail.textContent = `${e.event}: ${d.message ?? JSON.stringify(d)}`;
        } else if (e.event === 'end') {
          state.replaceChildren(badge(d.status ?? 'ended'));
          cancel.hidden = true;
          void loadInstalled();
        }
      }),
    );
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void api<any>('POST', '/v1/models/pulls', { name: name.value.trim() })
      .then((p) => showPull(p))
      .catch((err: Error) => (error.textContent = err.message));
  });
  main().replaceChildren(h('h1', {}, 'Models'), h('h2', {}, 'Installed'), installed, form, h('h2', {}, 'Pulls'), pulls);
  await loadInstalled();
  const list = await api<{ items: any[] }>('GET', '/v1/models/pulls?limit=20').catch(() => ({ items: [] }));
  for (const p of list.items.reverse()) showPull(p);
}

window.addEventListener('hashchange', render);
render();
