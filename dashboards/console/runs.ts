/// <reference lib="dom" />
/** The runs page: the list with filters and paging, and the submit form. */
import { api, badge, field, h, main, parseTests, priorityBadge, prioritySelect, select } from './lib';

export async function runsPage(): Promise<void> {
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
    table.replaceChildren(h('tr', {}, h('th', {}, 'id'), h('th', {}, 'kind'), h('th', {}, 'status'), h('th', {}, 'priority'), h('th', {}, 'created')));
    for (const r of out.items) {
      table.append(h('tr', { 'data-id': r.id }, h('td', {}, h('a', { href: `#run/${r.id}` }, r.id)), h('td', {}, r.kind ?? 'code'), h('td', {}, badge(r.status)), h('td', {}, priorityBadge(r.request?.priority)), h('td', {}, new Date(r.createdAt).toLocaleString())));
    }
    if (out.items.length === 0) table.append(h('tr', {}, h('td', { colspan: '5', class: 'muted' }, 'No runs.')));
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
  const kind = select('run-kind', ['code', 'autorun', 'agent', 'protocol'], 'code');
  const priority = prioritySelect('run-priority');
  const language = select('run-language', ['python', 'javascript', 'bash'], 'python');
  const code = h('textarea', { id: 'run-code', rows: '8', placeholder: 'print("hello")' });
  const stdin = h('textarea', { id: 'run-stdin', rows: '2' });
  const prompt = h('textarea', { id: 'run-prompt', rows: '3', placeholder: 'Write add(a, b)…' });
  const model = h('input', { id: 'run-model', type: 'text', value: 'auto' });
  const tests = h('textarea', { id: 'run-tests', rows: '3', placeholder: '[{"name": "adds", "code": "assert add(1, 2) == 3"}]' });
  const protocolText = h('textarea', { id: 'run-protocol', rows: '6', placeholder: '<action type="tool" id="hello">{"tool": "run_code", "language": "python", "code": "print(1)"}</action>' });
  const context = h('textarea', { id: 'run-context', rows: '2', placeholder: '{"word": "hello"} (the values $word names)' });
  const error = h('p', { class: 'error', id: 'submit-error' });
  // Which fields each kind takes (README "HTTP API"): code runs code; autorun and agent a prompt; protocol a document.
  const groups = {
    code: h('div', {}, field('Code', code), field('Stdin', stdin)),
    prompt: h('div', { hidden: true }, field('Prompt', prompt), field('Model', model)),
    protocol: h('div', { hidden: true }, field('Protocol', protocolText), field('Context (JSON)', context)),
    tests: field('Tests (JSON)', tests),
    language: field('Language', language),
  };
  kind.addEventListener('change', () => {
    groups.code.hidden = kind.value !== 'code';
    groups.prompt.hidden = kind.value !== 'autorun' && kind.value !== 'agent';
    groups.protocol.hidden = kind.value !== 'protocol';
    groups.tests.hidden = kind.value === 'agent' || kind.value === 'protocol';
    groups.language.hidden = kind.value === 'agent' || kind.value === 'protocol';
  });
  const form = h('form', { id: 'submit-run' }, h('h2', {}, 'Submit a run'), h('div', { class: 'row' }, field('Kind', kind), groups.language, field('Priority', priority)), groups.code, groups.prompt, groups.protocol, groups.tests, h('button', { type: 'submit', id: 'submit' }, 'Submit'), error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      try {
        const body: Record<string, unknown> = { kind: kind.value, priority: priority.value };
        if (kind.value === 'code' || kind.value === 'autorun') {
          body.language = language.value;
          const t = parseTests(tests.value);
          if (t) body.tests = t;
        }
        if (kind.value === 'code') {
          body.code = code.value;
          if (stdin.value) body.stdin = stdin.value;
        } else if (kind.value === 'protocol') {
          body.protocolText = protocolText.value;
          if (context.value.trim()) body.context = JSON.parse(context.value) as unknown;
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
