/// <reference lib="dom" />
/** The integrations page: a card per LLM provider with a Test button. */
import { api, badge, h, main } from './lib';

export async function integrationsPage(): Promise<void> {
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
