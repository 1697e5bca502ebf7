/// <reference lib="dom" />
/**
 * What every console page shares: DOM helpers, the token, API calls and the
 * resumable SSE reader. Text from the API is only ever set as textContent.
 */

export const TOKEN_KEY = 'paddock.token';
export const TERMINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'error', 'completed']);

// ---------- DOM helpers ----------

type Child = Node | string | null | undefined | false;
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | ((e: Event) => void)> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false) el.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}
export const $ = <T extends HTMLElement>(sel: string, root: ParentNode = document) => root.querySelector(sel) as T;
export const badge = (status: string) => h('span', { class: `status status-${status}`, 'data-status': status }, status);
export const field = (label: string, input: HTMLElement) => h('label', {}, h('span', {}, label), input);
export const main = () => $<HTMLElement>('#main');

// ---------- token and API ----------

export const token = () => sessionStorage.getItem(TOKEN_KEY);

/** The JWT's claims, read without verifying (the server verifies; this only picks what to show). */
export function claims(): { sub?: string; role?: string } {
  try {
    const part = (token() ?? '').split('.')[1] ?? '';
    return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: string; role?: string };
  } catch {
    return {};
  }
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    if (res.status === 401) signOut('Your token was refused; sign in again.');
    throw new ApiError(res.status, json?.error?.code ?? 'error', errorText(json?.error, res.statusText));
  }
  return json as T;
}

/** The stable error body as one line: the message, then each detail (`path: message`) a validation error names. */
function errorText(error: { message?: string; details?: unknown } | undefined, fallback: string): string {
  const details = Array.isArray(error?.details) ? (error.details as { path?: unknown[]; message?: string }[]).map((d) => `${(d.path ?? []).join('.') || 'body'}: ${d.message ?? ''}`) : [];
  return [error?.message ?? fallback, ...details].join(' · ');
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
export class LiveStream {
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

// ---------- page state ----------

/** Live streams of the current page: stopped when the page changes. */
let pageStreams: LiveStream[] = [];
export const live = (s: LiveStream) => {
  pageStreams.push(s);
  s.start();
  return s;
};
export function stopPageStreams(): void {
  for (const s of pageStreams) s.stop();
  pageStreams = [];
}

/** Set by app.ts: draws the page for the current address. */
let renderPage: () => void = () => undefined;
export const onRender = (fn: () => void) => (renderPage = fn);

export function signOut(message?: string): void {
  sessionStorage.removeItem(TOKEN_KEY);
  location.hash = '#signin';
  if (message) sessionStorage.setItem('paddock.notice', message);
  renderPage();
}

// ---------- form helpers ----------

export function select(id: string, options: string[], value = ''): HTMLSelectElement {
  const s = h('select', { id, name: id });
  for (const o of options) s.append(h('option', { value: o }, o || 'any'));
  s.value = value;
  return s;
}

export function parseTests(text: string): unknown[] | undefined {
  if (!text.trim()) return undefined;
  const v: unknown = JSON.parse(text);
  if (!Array.isArray(v)) throw new Error('tests must be a JSON array');
  return v;
}

export function download(name: string, value: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------- priorities ----------

/** Priority classes, first to last (README "Priorities, fair shares and quotas"). */
export const PRIORITIES = ['critical', 'high', 'medium', 'low'];

/** A run's or experiment's priority class; `medium` when none was asked for. */
export const priorityBadge = (p: string | undefined) => h('span', { class: `priority priority-${p ?? 'medium'}`, 'data-priority': p ?? 'medium', title: 'priority' }, p ?? 'medium');

/** The priority chooser of a submit form, on `medium` (the API's default). */
export const prioritySelect = (id: string) => select(id, PRIORITIES, 'medium');
