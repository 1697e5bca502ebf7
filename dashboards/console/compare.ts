/// <reference lib="dom" />
/** The compare page: one prompt to several models; the answers show in the run view. */
import { api, field, h, main } from './lib';

export async function comparePage(): Promise<void> {
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
