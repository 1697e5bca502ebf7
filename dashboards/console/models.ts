/// <reference lib="dom" />
/** The models page: installed models and pulls with live progress bars. */
import { api, badge, h, live, LiveStream, main, TERMINAL } from './lib';

export async function modelsPage(): Promise<void> {
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
