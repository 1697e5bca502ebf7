/// <reference lib="dom" />
/** The run view: live events (resumable), then the result, tests and artifacts. */
import { api, badge, download, h, live, LiveStream, main, priorityBadge, TERMINAL } from './lib';
import { answerCard, consensusCard, kindResult, stepItem } from './results';
import { runFilesSection } from './files';

/** Kinds whose steps are an agent's thoughts and actions. */
const AGENTIC = new Set(['agent', 'protocol']);

export async function runPage(id: string): Promise<void> {
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
  const actionOutputs: Record<string, unknown> = {};
  const consensus = h('div', { id: 'consensus', class: 'card', hidden: true });
  /** A compare/consensus answer: the judge's goes to the consensus card, the others side by side. */
  const showAnswer = (a: any, agreement?: number) => (a.tag === 'judge' ? consensusCard(consensus, a, agreement) : answerCard(answers, a));
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
      const summaryEl = h('p', { id: 'result-summary' }, summary);
      result.append(h('h2', {}, 'Result'), summaryEl, h('details', {}, h('summary', {}, 'Result (JSON)'), h('pre', { id: 'result-json' }, JSON.stringify(r, null, 2))));
      result.append(runFilesSection(id, r.files, r.filesDropped) ?? '');
      for (const t of r.tests ?? []) testRow(t);
      reveal();
      // Step events tag an answer `<index>:<model as requested>`; the result lists them in that order.
      (r.answers ?? []).forEach((a: any, i: number) => showAnswer({ ...a, tag: `${i}:${a.requested}` }));
      if (r.judge) showAnswer({ ...r.judge, tag: 'judge' }, r.agreement);
      // An agent's result lists its actions without their outputs; the step events carried them.
      const view = kindResult(final.kind ?? run.kind, { outputs: actionOutputs, ...r });
      if (view) result.insertBefore(view, summaryEl.nextSibling);
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
    // An agent's or protocol run's steps are its story: open; other kinds' are detail.
    steps: h('details', { hidden: true, open: AGENTIC.has(run.kind) }, h('summary', {}, 'Steps'), steps),
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
          if (d.name === 'answer') showAnswer(d);
          if (d.name === 'action_finished' && d.ok) actionOutputs[String(d.id)] = d.output;
          steps.append(stepItem(d));
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
    h(
      'div',
      { class: 'row' },
      h('span', { class: 'muted' }, [run.kind ?? 'code', run.language].filter(Boolean).join(' · ')),
      priorityBadge(run.request?.priority),
      run.agentId ? h('a', { id: 'run-agent', href: `#agent/${encodeURIComponent(run.agentId)}` }, `agent ${run.agentId}`) : '',
      status,
      cancel,
      pause,
      streamState,
    ),
    error,
    answers,
    consensus,
    sections.output,
    sections.tests,
    sections.tokens,
    sections.steps,
    result,
  );
  setStatus(run.status);
  live(stream);
}
