/// <reference lib="dom" />
/** The experiments page and an experiment's live transcript. */
import { $, api, badge, download, field, h, live, LiveStream, main, priorityBadge, prioritySelect } from './lib';

export async function experimentsPage(): Promise<void> {
  const list = await api<{ items: any[] }>('GET', '/v1/experiments?limit=20');
  const prompt = h('textarea', { id: 'exp-prompt', rows: '3' });
  const models = h('textarea', { id: 'exp-models', rows: '2', placeholder: 'one agent per line: provider/model' });
  const rounds = h('input', { id: 'exp-rounds', type: 'number', value: '2', min: '1', max: '100' });
  const priority = prioritySelect('exp-priority');
  const error = h('p', { class: 'error', id: 'exp-error' });
  const form = h('form', { id: 'submit-experiment' }, h('h2', {}, 'Start an experiment'), field('Task', prompt), field('Agents', models), h('div', { class: 'row' }, field('Rounds', rounds), field('Priority', priority)), h('button', { type: 'submit' }, 'Start'), error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      try {
        const agents = models.value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean).map((model, i) => ({ name: `agent${i + 1}`, model, systemPrompt: `You are agent ${i + 1}.` }));
        const exp = await api<{ id: string }>('POST', '/v1/experiments', { task: { prompt: prompt.value }, agents, rounds: Number(rounds.value), priority: priority.value });
        location.hash = `#experiment/${exp.id}`;
      } catch (err) {
        error.textContent = err instanceof Error ? err.message : String(err);
      }
    })();
  });
  const table = h('table', { id: 'experiments' }, h('tr', {}, h('th', {}, 'id'), h('th', {}, 'status'), h('th', {}, 'priority'), h('th', {}, 'created')));
  for (const x of list.items) table.append(h('tr', { 'data-id': x.id }, h('td', {}, h('a', { href: `#experiment/${x.id}` }, x.name ?? x.id)), h('td', {}, badge(x.status)), h('td', {}, priorityBadge(x.request?.priority)), h('td', {}, new Date(x.createdAt).toLocaleString())));
  main().replaceChildren(h('h1', {}, 'Experiments'), form, table);
}

export async function experimentPage(id: string): Promise<void> {
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
    h('div', { class: 'row' }, status, priorityBadge(exp.request?.priority), h('button', { id: 'exp-cancel', onclick: () => void api('DELETE', `/v1/experiments/${encodeURIComponent(id)}`).catch(() => undefined) }, 'Cancel'), h('button', { onclick: () => void api('GET', `/v1/experiments/${encodeURIComponent(id)}/export`).then((x) => download(`${id}.json`, x)) }, 'Export (JSON)')),
    h('p', { class: 'muted' }, exp.request?.task?.prompt ?? ''),
    h('h2', {}, 'Iterations'),
    iterations,
    h('h2', {}, 'Transcript'),
    transcript,
  );
  live(stream);
}
