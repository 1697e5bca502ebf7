/// <reference lib="dom" />
/**
 * The Paddock web console: a browser client of the HTTP API, one ES module, no
 * framework. Pages are chosen by the URL fragment (#runs, #run/<id>, …). The token
 * lives in sessionStorage and goes out as `Authorization: Bearer`; live views read
 * SSE through fetch() (EventSource cannot send that header) and resume after the
 * last seen event id. Text from the API is only ever set as textContent.
 */
import { agentPage, agentsPage } from './agents';
import { comparePage } from './compare';
import { experimentPage, experimentsPage } from './experiments';
import { integrationsPage } from './integrations';
import { $, claims, h, main, onRender, signOut, stopPageStreams, TOKEN_KEY, token } from './lib';
import { modelsPage } from './models';
import { runPage } from './run';
import { runsPage } from './runs';

const PAGES: [string, string][] = [
  ['runs', 'Runs'],
  ['agents', 'Agents'],
  ['compare', 'Compare'],
  ['integrations', 'Integrations'],
  ['experiments', 'Experiments'],
  ['models', 'Models'],
];

function shell(current: string): void {
  const nav = $('#nav');
  const who = $('#who');
  nav.replaceChildren();
  who.replaceChildren();
  if (!token()) return;
  for (const [id, label] of PAGES) nav.append(h('a', { href: `#${id}`, class: current === id ? 'active' : '' }, label));
  const c = claims();
  if (c.role === 'admin') nav.append(h('a', { href: `/admin/queues?token=${encodeURIComponent(token() ?? '')}`, target: '_blank', rel: 'noopener', id: 'bull-board' }, 'Bull Board'));
  who.append(`${c.sub ?? '?'} (${c.role ?? '?'})`, h('button', { id: 'signout', onclick: () => signOut() }, 'Sign out'));
}

function render(): void {
  stopPageStreams();
  const hash = location.hash.slice(1);
  if (hash.startsWith('token=')) {
    // A sign-in link (npm start prints one): keep the token, then drop it from the address bar and history.
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(hash.slice('token='.length)));
    history.replaceState(null, '', `${location.pathname}#runs`);
    return render();
  }
  const [page = 'runs', arg = ''] = hash.split('/');
  if (!token()) {
    shell('');
    return signInPage();
  }
  // One item's page lights up its list's tab.
  shell(({ run: 'runs', agent: 'agents', experiment: 'experiments' } as Record<string, string>)[page] ?? page);
  const view = ({ runs: runsPage, run: () => runPage(decodeURIComponent(arg)), agents: agentsPage, agent: () => agentPage(decodeURIComponent(arg)), compare: comparePage, integrations: integrationsPage, experiments: experimentsPage, experiment: () => experimentPage(decodeURIComponent(arg)), models: modelsPage } as Record<string, () => void | Promise<void>>)[page];
  if (!view) {
    location.hash = '#runs';
    return;
  }
  Promise.resolve(view()).catch((err: unknown) => main().replaceChildren(h('p', { class: 'error' }, String(err instanceof Error ? err.message : err))));
}


// ---------- sign in ----------

function signInPage(): void {
  const notice = sessionStorage.getItem('paddock.notice');
  sessionStorage.removeItem('paddock.notice');
  const input = h('textarea', { id: 'token', rows: '4', placeholder: 'eyJhbGciOi…', autocomplete: 'off' });
  const error = h('p', { class: 'error', id: 'signin-error' }, notice ?? '');
  const form = h(
    'form',
    { id: 'signin' },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Paste a token (npm run --silent token -- --sub <name> --role <user|admin>). It is kept in this tab only.'),
    input,
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Sign in')),
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input.value.trim();
    void (async () => {
      const res = await fetch('/v1/runs?limit=1', { headers: { authorization: `Bearer ${value}` } });
      if (!res.ok) {
        error.textContent = res.status === 401 ? 'That token was refused.' : `The API answered ${res.status}.`;
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, value);
      location.hash = '#runs';
      render();
    })();
  });
  main().replaceChildren(form);
}

onRender(render);
window.addEventListener('hashchange', render);
render();
