/// <reference lib="dom" />
/**
 * The compare page: one prompt to several models — side by side (compare), with
 * a judge's synthesis (consensus), or as the same coding task scored by tests
 * (evaluation). The outcome shows in the run view.
 */
import { api, field, h, main, parseTests, prioritySelect, select } from './lib';

export async function comparePage(): Promise<void> {
  const available = await api<{ items: any[] }>('GET', '/v1/models/available').catch(() => ({ items: [] }));
  const names = available.items.map((m) => String(m.id ?? `${m.provider}/${m.model ?? m.name}`));
  const kind = select('compare-kind', ['compare', 'consensus', 'evaluation'], 'compare');
  const priority = prioritySelect('compare-priority');
  const prompt = h('textarea', { id: 'compare-prompt', rows: '3' });
  const models = h('textarea', { id: 'compare-models', rows: '3', placeholder: 'provider/model, one a line' });
  models.value = names.slice(0, 2).join('\n');
  const judge = h('input', { id: 'compare-judge', type: 'text', value: 'auto' });
  const language = select('compare-language', ['python', 'javascript'], 'python');
  const samples = h('input', { id: 'compare-samples', type: 'number', value: '1', min: '1', max: '10' });
  const tests = h('textarea', { id: 'compare-tests', rows: '3', placeholder: '[{"name": "adds", "code": "assert add(1, 2) == 3"}]' });
  const judgeField = field('Judge', judge);
  const evaluationFields = h('div', {}, h('div', { class: 'row' }, field('Language', language), field('Samples', samples)), field('Tests (JSON)', tests));
  const showFields = () => {
    judgeField.hidden = kind.value !== 'consensus';
    evaluationFields.hidden = kind.value !== 'evaluation';
  };
  kind.addEventListener('change', showFields);
  showFields();
  const error = h('p', { class: 'error', id: 'compare-error' });
  const form = h(
    'form',
    { id: 'compare' },
    h('h1', {}, 'Compare models'),
    h('div', { class: 'row' }, field('Kind', kind), field('Priority', priority)),
    field('Prompt', prompt),
    field('Models', models),
    h('p', { class: 'muted' }, names.length ? `Configured: ${names.join(', ')}` : ''),
    judgeField,
    evaluationFields,
    h('button', { type: 'submit' }, 'Compare'),
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      try {
        const list = models.value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
        const body: Record<string, unknown> = { kind: kind.value, prompt: prompt.value, models: list, priority: priority.value };
        if (kind.value === 'consensus' && judge.value.trim()) body.judge = judge.value.trim();
        if (kind.value === 'evaluation') Object.assign(body, { language: language.value, samples: Number(samples.value), tests: parseTests(tests.value) });
        const run = await api<{ id: string }>('POST', '/v1/runs', body);
        location.hash = `#run/${run.id}`;
      } catch (err) {
        error.textContent = err instanceof Error ? err.message : String(err);
      }
    })();
  });
  main().replaceChildren(form);
}
