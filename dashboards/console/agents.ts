/// <reference lib="dom" />
/**
 * Saved agents (README "Saved agents"): the list and a create form (#agents), and
 * one agent's page (#agent/<id>): edit, delete, Auto Run, and its run history.
 */
import { api, badge, field, h, main, parseTests, priorityBadge, prioritySelect, select } from './lib';

const agentPath = (id: string) => `/v1/agents/${encodeURIComponent(id)}`;
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

// ---------- the form ----------

/** The optional text fields of an agent, as the form names them. */
const OPTIONAL_TEXT = ['description', 'systemPrompt', 'prompt'] as const;

interface AgentForm {
  form: HTMLFormElement;
  /** The body for POST (every field given) or PATCH (`null` removes what was cleared). */
  body(patch: boolean): Record<string, unknown>;
}

/** The create form, or (given an agent) the edit form filled with its setup. */
function agentForm(id: string, agent: any | undefined, submitLabel: string, onSubmit: (body: Record<string, unknown>) => Promise<void>): AgentForm {
  const name = h('input', { id: `${id}-name`, type: 'text', value: agent?.name ?? '' });
  const model = h('input', { id: `${id}-model`, type: 'text', value: agent?.model ?? 'auto' });
  const language = select(`${id}-language`, ['python', 'javascript'], agent?.language ?? 'python');
  const maxAttempts = h('input', { id: `${id}-attempts`, type: 'number', min: '1', max: '10', value: agent?.maxAttempts !== undefined ? String(agent.maxAttempts) : '' });
  const description = h('input', { id: `${id}-description`, type: 'text', value: agent?.description ?? '' });
  const systemPrompt = h('textarea', { id: `${id}-system`, rows: '3', placeholder: 'You write small, well-named functions.' });
  const prompt = h('textarea', { id: `${id}-prompt`, rows: '3', placeholder: 'The default task, e.g. Write add(a, b).' });
  const tests = h('textarea', { id: `${id}-tests`, rows: '3', placeholder: '[{"name": "adds", "code": "assert add(1, 2) == 3"}]' });
  systemPrompt.value = agent?.systemPrompt ?? '';
  prompt.value = agent?.prompt ?? '';
  tests.value = agent?.tests ? JSON.stringify(agent.tests) : '';
  const error = h('p', { class: 'error', id: `${id}-error` });
  const text = { description, systemPrompt, prompt };
  const form = h(
    'form',
    { id },
    h('div', { class: 'row' }, field('Name', name), field('Model', model), field('Language', language), field('Attempts', maxAttempts)),
    field('Description', description),
    field('System prompt', systemPrompt),
    field('Default prompt', prompt),
    field('Default tests (JSON)', tests),
    h('button', { type: 'submit' }, submitLabel),
    error,
  );
  const body = (patch: boolean): Record<string, unknown> => {
    const out: Record<string, unknown> = { name: name.value.trim(), model: model.value.trim(), language: language.value };
    // A field left empty: left out when creating, removed (null) when editing an agent that had it.
    const optional = (key: string, value: unknown) => {
      if (value !== undefined) out[key] = value;
      else if (patch && agent?.[key] !== undefined) out[key] = null;
    };
    for (const key of OPTIONAL_TEXT) optional(key, text[key].value.trim() || undefined);
    optional('tests', parseTests(tests.value));
    optional('maxAttempts', maxAttempts.value ? Number(maxAttempts.value) : undefined);
    if (!patch) return out;
    // An edit sends what changed only.
    return Object.fromEntries(Object.entries(out).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(agent?.[k])));
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    error.textContent = '';
    void (async () => {
      try {
        await onSubmit(body(agent !== undefined));
      } catch (err) {
        error.textContent = message(err);
      }
    })();
  });
  return { form, body };
}

// ---------- the list ----------

export async function agentsPage(): Promise<void> {
  const list = await api<{ items: any[] }>('GET', '/v1/agents?limit=100');
  const { form } = agentForm('agent-create', undefined, 'Create agent', async (body) => {
    const agent = await api<{ id: string }>('POST', '/v1/agents', body);
    location.hash = `#agent/${encodeURIComponent(agent.id)}`;
  });
  const table = h('table', { id: 'agents' }, h('tr', {}, h('th', {}, 'name'), h('th', {}, 'model'), h('th', {}, 'language'), h('th', {}, 'description'), h('th', {}, 'updated')));
  for (const a of list.items) {
    table.append(h('tr', { 'data-agent': a.id }, h('td', {}, h('a', { href: `#agent/${encodeURIComponent(a.id)}` }, a.name)), h('td', {}, a.model), h('td', {}, a.language), h('td', { class: 'muted' }, a.description ?? ''), h('td', {}, new Date(a.updatedAt).toLocaleString())));
  }
  if (list.items.length === 0) table.append(h('tr', {}, h('td', { colspan: '5', class: 'muted' }, 'No agents yet.')));
  main().replaceChildren(h('h1', {}, 'Agents'), h('h2', {}, 'New agent'), form, h('h2', {}, 'Your agents'), table);
}

// ---------- one agent ----------

/** `notice` says what just happened (an edit saved). */
export async function agentPage(id: string, notice = ''): Promise<void> {
  const agent = await api<any>('GET', agentPath(id));
  const { form } = agentForm('agent-edit', agent, 'Save', async (body) => {
    await api('PATCH', agentPath(id), body);
    await agentPage(id, 'Saved.');
  });
  main().replaceChildren(
    h('h1', {}, `Agent ${agent.name}`),
    notice ? h('p', { id: 'agent-notice' }, notice) : '',
    h('p', { class: 'muted' }, `${agent.model} · ${agent.language} · ${agent.id}`),
    autoRunBox(agent),
    h('h2', {}, 'Runs'),
    await historyTable(id),
    h('details', { id: 'agent-edit-box' }, h('summary', {}, 'Edit'), form),
    deleteBox(agent),
  );
}

/** Auto Run: an autorun of the agent's setup; the prompt and tests may be given for this run only. */
function autoRunBox(agent: any): HTMLElement {
  const prompt = h('textarea', { id: 'autorun-prompt', rows: '2', placeholder: agent.prompt ? `default: ${agent.prompt}` : 'the task (the agent has no default prompt)' });
  const tests = h('textarea', { id: 'autorun-tests', rows: '2', placeholder: agent.tests ? 'default: the agent’s tests' : '[{"name": …, "code": …}]' });
  const priority = prioritySelect('autorun-priority');
  const error = h('p', { class: 'error', id: 'autorun-error' });
  const button = h('button', { id: 'auto-run', type: 'button' }, 'Auto Run');
  button.addEventListener('click', () => {
    error.textContent = '';
    void (async () => {
      try {
        const body: Record<string, unknown> = { priority: priority.value };
        if (prompt.value.trim()) body.prompt = prompt.value.trim();
        const t = parseTests(tests.value);
        if (t) body.tests = t;
        const run = await api<{ id: string }>('POST', `${agentPath(agent.id)}/auto-run`, body);
        location.hash = `#run/${encodeURIComponent(run.id)}`;
      } catch (err) {
        error.textContent = message(err);
      }
    })();
  });
  return h('section', { class: 'box' }, h('h2', {}, 'Auto Run'), field('Prompt', prompt), field('Tests (JSON)', tests), h('div', { class: 'row' }, field('Priority', priority), button), error);
}

/** The agent's runs, newest first, with an Older button while there are more. */
async function historyTable(id: string): Promise<HTMLElement> {
  const table = h('table', { id: 'agent-runs' }, h('tr', {}, h('th', {}, 'run'), h('th', {}, 'status'), h('th', {}, 'priority'), h('th', {}, 'prompt'), h('th', {}, 'created')));
  const more = h('button', { id: 'agent-runs-more', type: 'button', hidden: true }, 'Older →');
  let cursor: string | undefined;
  const load = async () => {
    const page = await api<{ items: any[]; nextCursor?: string | null }>('GET', `${agentPath(id)}/runs?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const r of page.items) {
      table.append(h('tr', { 'data-id': r.id }, h('td', {}, h('a', { href: `#run/${encodeURIComponent(r.id)}` }, r.id)), h('td', {}, badge(r.status)), h('td', {}, priorityBadge(r.request?.priority)), h('td', { class: 'muted' }, String(r.request?.prompt ?? '').slice(0, 80)), h('td', {}, new Date(r.createdAt).toLocaleString())));
    }
    if (!cursor && page.items.length === 0) table.append(h('tr', {}, h('td', { colspan: '5', class: 'muted' }, 'No runs yet: Auto Run starts one.')));
    cursor = page.nextCursor ?? undefined;
    more.hidden = !cursor;
  };
  more.addEventListener('click', () => void load());
  await load();
  return h('div', {}, table, more);
}

/** Delete, in two clicks (a browser confirm() would block the page); the agent's runs stay. */
function deleteBox(agent: any): HTMLElement {
  const error = h('p', { class: 'error', id: 'agent-delete-error' });
  const button = h('button', { id: 'agent-delete', type: 'button' }, 'Delete agent');
  let armed = false;
  button.addEventListener('click', () => {
    if (!armed) {
      armed = true;
      button.textContent = 'Really delete? Its runs are kept';
      return;
    }
    void api('DELETE', agentPath(agent.id))
      .then(() => (location.hash = '#agents'))
      .catch((err: unknown) => (error.textContent = message(err)));
  });
  return h('div', { class: 'row' }, button, error);
}
