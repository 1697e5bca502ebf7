/// <reference lib="dom" />
/**
 * The kind-specific parts of the run view: compare and consensus answers side
 * by side (with the judge's synthesis and copy buttons), an agent's or protocol
 * run's steps and actions, and an evaluation's scores per model.
 */
import { badge, h } from './lib';

const money = (v: unknown) => `$${Number(v).toFixed(6)}`;
const usageText = (u: any) => (u ? `${u.inputTokens ?? u.input ?? 0} in / ${u.outputTokens ?? u.output ?? 0} out tokens` : '');
const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
const joined = (parts: unknown[]) => parts.filter((p) => typeof p === 'string' && p !== '').join(' · ');

// ---------- copy ----------

/** A Copy button for `text()`; it says whether the copy worked. */
export function copyButton(text: () => string, cls = 'copy'): HTMLButtonElement {
  const button = h('button', { type: 'button', class: cls }, 'Copy');
  button.addEventListener('click', () => {
    void copyText(text()).then((ok) => {
      button.textContent = ok ? 'Copied' : 'Copy failed';
      setTimeout(() => (button.textContent = 'Copy'), 2000);
    });
  });
  return button;
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API here (a plain-http address other than localhost): a selected textarea and the old command.
    const area = h('textarea', {});
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

// ---------- compare and consensus ----------

/** One model's answer as a card in `answers`, keyed by its step tag (`<index>:<model as requested>`). */
export function answerCard(answers: HTMLElement, a: any): void {
  const key = String(a.tag ?? a.requested ?? a.model);
  let card = answers.querySelector<HTMLElement>(`[data-tag="${CSS.escape(key)}"]`);
  if (!card) {
    card = h('div', { class: 'card answer', 'data-tag': key });
    answers.append(card);
  }
  card.replaceChildren(
    h('div', { class: 'row' }, h('h2', {}, String(a.requested ?? key)), a.error ? '' : copyButton(() => String(a.text ?? ''), 'copy copy-answer')),
    a.model && a.model !== (a.requested ?? key) ? h('div', { class: 'muted' }, `answered by ${a.model}`) : '',
    a.error ? h('p', { class: 'error' }, typeof a.error === 'string' ? a.error : JSON.stringify(a.error)) : h('pre', { class: 'answer-text' }, a.text ?? ''),
    h('div', { class: 'muted answer-meta' }, joined([usageText(a.usage), a.costUsd !== undefined && a.costUsd !== null ? money(a.costUsd) : '', a.latencyMs !== undefined ? `${a.latencyMs} ms` : ''])),
  );
}

/** The judge's synthesis of a consensus run, and (once the result is in) how much the answers agreed. */
export function consensusCard(box: HTMLElement, judge: any, agreement?: number): void {
  box.hidden = false;
  box.replaceChildren(
    h('div', { class: 'row' }, h('h2', {}, 'Consensus'), judge.error ? '' : copyButton(() => String(judge.text ?? ''), 'copy copy-consensus')),
    h('div', { class: 'muted', id: 'consensus-meta' }, joined([judge.model ? `judged by ${judge.model}` : `judge ${judge.requested ?? ''}`, agreement !== undefined ? `agreement ${Math.round(agreement * 100)}%` : '', usageText(judge.usage), judge.costUsd !== undefined ? money(judge.costUsd) : ''])),
    judge.error ? h('p', { class: 'error' }, String(judge.error)) : h('pre', { class: 'consensus-text' }, judge.text ?? ''),
  );
}

/** Tokens and cost over every answer of a compare or consensus run (the judge's included). */
function totalsLine(r: any): HTMLElement {
  const t = r.totals ?? {};
  return h('p', { id: 'totals' }, `Total: ${t.inputTokens ?? 0} in / ${t.outputTokens ?? 0} out tokens · ${money(t.costUsd ?? 0)}`);
}

// ---------- agent and protocol runs ----------

/** A step event as one line of the Steps list. */
export function stepItem(d: any): HTMLLIElement {
  const li = h('li', { class: 'step', 'data-step': String(d.name ?? 'step') }, d.step !== undefined ? h('span', { class: 'muted' }, `step ${d.step} · `) : '');
  const label = (text: string) => h('strong', {}, `${text} `);
  switch (d.name) {
    case 'thought':
      li.append(label('thought'), String(d.text ?? ''));
      break;
    case 'action_started':
      li.append(label('action'), `${d.id} (${d.type}${d.mode ? `, ${d.mode}` : ''}) started`);
      break;
    case 'action_finished':
      li.append(label('action'), `${d.id} `, badge(d.ok ? 'succeeded' : 'failed'), d.error ? ` ${d.error}` : '', durationOf(d) ? ` · ${durationOf(d)}` : '');
      break;
    case 'action_reused':
      li.append(label('action'), `${d.id} re-sent unchanged: the result of step ${d.fromStep} is reused`);
      break;
    case 'response':
      li.append(label(d.final ? 'final response' : 'response'), String(d.text ?? ''));
      break;
    case 'malformed':
      li.append(label('malformed'), (d.reasons ?? []).join('; '));
      break;
    case 'answer':
      li.append(label('answer'), `${d.requested ?? d.tag}${d.error ? `: ${d.error}` : ''}`);
      break;
    case 'sample':
      li.append(label('sample'), `${d.model} #${d.sample} `, badge(d.passed ? 'passed' : 'failed'), d.error ? ` ${d.error}` : '');
      break;
    default: {
      const { name, ...rest } = d;
      li.append(label(String(name ?? 'step')), JSON.stringify(rest));
    }
  }
  return li;
}

const durationOf = (a: any) => (typeof a.startedAt === 'number' && typeof a.finishedAt === 'number' ? `${a.finishedAt - a.startedAt} ms` : '');

/** An agent (or protocol) run's outcome: its response, why it stopped, and each action. */
function agentResult(r: any): HTMLElement {
  const summary = joined([
    r.stoppedBy ? `stopped by ${r.stoppedBy}` : '',
    r.steps !== undefined ? plural(r.steps, 'step') : '',
    plural((r.actions ?? []).length, 'action'),
    r.malformedTurns ? plural(r.malformedTurns, 'malformed turn') : '',
    usageText(r.usage),
    r.costUsd !== undefined ? money(r.costUsd) : '',
  ]);
  const actions = h('table', { id: 'actions' }, h('tr', {}, h('th', {}, 'action'), h('th', {}, 'type'), h('th', {}, 'outcome'), h('th', {}, 'time'), h('th', {}, 'output or error')));
  for (const a of r.actions ?? []) {
    const output = a.error ?? (r.outputs && a.id in r.outputs ? JSON.stringify(r.outputs[a.id]) : '');
    actions.append(h('tr', { 'data-action': String(a.id) }, h('td', {}, String(a.id)), h('td', {}, String(a.type)), h('td', {}, badge(a.ok ? 'succeeded' : 'failed')), h('td', { class: 'muted' }, durationOf(a)), h('td', { class: a.error ? 'error' : 'action-output' }, output)));
  }
  return h(
    'section',
    { id: 'agent-result' },
    r.response !== undefined ? h('div', { class: 'row' }, h('h2', {}, 'Response'), copyButton(() => String(r.response), 'copy copy-response')) : '',
    r.response !== undefined ? h('pre', { id: 'agent-response' }, String(r.response)) : '',
    h('p', { id: 'agent-summary' }, summary),
    (r.malformed ?? []).length > 0 ? h('ul', { id: 'malformed', class: 'error' }, ...(r.malformed as string[]).map((m) => h('li', {}, m))) : '',
    h('h2', {}, 'Actions'),
    actions,
  );
}

// ---------- evaluations ----------

/** An evaluation's score per model: pass rate (with a bar), latency, sandbox time, tokens and cost. */
function evaluationResult(r: any): HTMLElement {
  const table = h('table', { id: 'evaluation' }, h('tr', {}, ...['model', 'pass rate', 'passed', 'mean latency', 'mean sandbox', 'tokens', 'cost', 'error'].map((c) => h('th', {}, c))));
  for (const m of r.models ?? []) {
    const rate = Number(m.passRate ?? 0);
    table.append(
      h(
        'tr',
        { 'data-model': String(m.model) },
        h('td', {}, String(m.model)),
        h('td', {}, h('progress', { max: '1', value: String(rate) }), ' ', h('span', { class: 'pass-rate' }, `${Math.round(rate * 100)}%`)),
        h('td', { class: 'passed' }, `${m.passed} / ${m.samples}`),
        h('td', {}, `${m.meanLatencyMs} ms`),
        h('td', {}, `${m.meanSandboxMs} ms`),
        h('td', {}, usageText(m.usage)),
        h('td', {}, money(m.costUsd ?? 0)),
        h('td', { class: 'error' }, m.error ?? ''),
      ),
    );
  }
  return h('section', { id: 'evaluation-result' }, h('h2', {}, 'Scores'), table);
}

/** The view of a finished run's result for its kind, or null when the generic result is all there is. */
export function kindResult(kind: string, r: any): HTMLElement | null {
  switch (kind) {
    case 'agent':
    case 'protocol':
      return agentResult(r);
    case 'evaluation':
      return evaluationResult(r);
    case 'compare':
    case 'consensus':
      return totalsLine(r);
    default:
      return null;
  }
}
