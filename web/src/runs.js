// Pipelines (the state machine coloured by the last run), runs and their logs.
import { append, h, api, enc, errorBox, formatMs, formatNumber } from './dom.js';
import { drawGraph } from './graph.js';
import { runsTable } from './catalog.js';

export async function pipelinesPage(root) {
  const { pipelines } = await api('/api/pipelines');
  append(root, h('h1', {}, 'Pipelines'),
    h('ul', { className: 'plain', 'data-testid': 'pipelines' }, pipelines.map((p) => h('li', {},
      h('a', { href: `#/pipeline/${enc(p.name)}`, 'data-testid': 'pipeline-link' }, p.name),
      p.kind === 'project' ? ` (${p.title}: every source and model, as strata run runs them)` : ` · ${p.file}`,
      ` · ${p.states} states`,
      p.last_run ? h('span', {}, ' · last run ', h('span', { className: `status status-${p.last_run.status}` }, p.last_run.status)) : null,
      p.error ? h('div', { className: 'error-text' }, p.error) : null,
      p.description ? h('div', { className: 'desc' }, p.description) : null))));
}

function stateDetail(pipeline, name) {
  const info = pipeline.last_states[name];
  const state = pipeline.states.find((s) => s.name === name) || {};
  const box = h('div', { className: 'panel', 'data-testid': 'state-detail' },
    h('h2', {}, name), h('p', { className: 'muted' }, `${state.type || ''} ${state.resource || ''}`));
  if (!info) {
    box.append(h('p', { className: 'muted' }, 'Not run yet.'));
    return box;
  }
  box.append(h('dl', { className: 'facts' },
    h('dt', {}, 'status'), h('dd', {}, h('span', { className: `status status-${info.status}` }, info.status)),
    h('dt', {}, 'run'), h('dd', {}, h('a', { href: `#/run/${enc(info.run_id)}` }, info.run_id)),
    h('dt', {}, 'duration'), h('dd', {}, formatMs(info.duration_ms)),
    h('dt', {}, 'retries'), h('dd', {}, info.retries ?? 0),
    h('dt', {}, 'rows'), h('dd', {}, formatNumber(info.rows_written)),
    h('dt', {}, 'quarantined'), h('dd', {}, formatNumber(info.rows_quarantined))),
  info.error ? h('pre', { className: 'error', 'data-testid': 'state-error' }, info.error) : null);
  const logs = h('div', {}, h('p', { className: 'muted' }, 'loading logs…'));
  box.append(h('h3', {}, 'Log'), logs);
  api(`/api/runs/${enc(info.run_id)}/logs?state=${enc(name)}`).then((r) => {
    logs.replaceChildren(logView(r.lines));
  }).catch((e) => logs.replaceChildren(errorBox(e)));
  return box;
}

function logView(lines) {
  return h('pre', { className: 'log', 'data-testid': 'log' }, lines.map((l) =>
    h('div', { className: `log-${l.level}` }, l.state ? `[${l.state}] ` : '', l.message)));
}

export async function pipelinePage(root, params, name) {
  const p = await api(`/api/pipelines/${enc(name)}`);
  const detail = h('div', { className: 'side' });
  const status = h('div', { 'data-testid': 'run-control' });
  const start = async (path) => {
    try {
      const r = await api(path, { method: 'POST', body: {} });
      status.replaceChildren(h('p', {}, 'started ', h('a', { href: `#/run/${enc(r.run_id)}` }, r.run_id)));
    } catch (error) {
      status.replaceChildren(errorBox(error));
    }
  };
  const last = p.last_run;
  const resumable = last && (last.status === 'failed' || last.status === 'cancelled');
  append(root, 
    h('div', { className: 'title-row' }, h('h1', {}, p.name), p.title ? h('span', { className: 'muted' }, p.title) : null,
      h('button', { onclick: () => start(`/api/pipelines/${enc(p.name)}/runs`), 'data-testid': 'start-run' }, 'Start run'),
      resumable
        ? h('button', { onclick: () => start(`/api/runs/${enc(last.run_id)}/resume`), 'data-testid': 'resume-run' }, 'Resume last run')
        : null),
    p.description ? h('p', { className: 'desc' }, p.description) : null,
    p.schedules && p.schedules.length ? h('p', { className: 'muted' }, `schedule: ${p.schedules.join(', ')} (UTC)`) : null,
    p.file_triggers && p.file_triggers.length ? h('p', { className: 'muted' }, `starts when files land: ${p.file_triggers.map((t) => t.pattern).join(', ')}`) : null,
    p.table_triggers && p.table_triggers.length ? h('p', { className: 'muted' }, `starts on each new version of: ${p.table_triggers.map((t) => t.table).join(', ')}`) : null,
    p.graph_error ? h('div', { className: 'error' }, p.graph_error) : null,
    last ? h('p', {}, 'Last run ', h('a', { href: `#/run/${enc(last.run_id)}` }, last.run_id), ' ',
      h('span', { className: `status status-${last.status}` }, last.status), ` ${formatMs(last.duration_ms)}`) : null,
    status,
    h('div', { className: 'legend' }, ['success', 'warn', 'failed', 'skipped', 'cancelled', 'running', 'none'].map((s) =>
      h('span', { className: `status status-${s}` }, s))));
  const nodes = p.states.map((s) => {
    const info = p.last_states[s.name];
    return {
      id: s.name, label: s.name,
      sublabel: info ? `${info.status} · ${formatMs(info.duration_ms)}${info.retries ? ` · ${info.retries} retries` : ''}` : s.type,
      className: `state state-${info ? info.status : 'none'}`,
      title: info && info.error ? info.error : s.description,
    };
  });
  const graph = h('div', { className: 'graph-box', 'data-testid': 'pipeline-graph' },
    drawGraph(nodes, p.edges, {
      rankdir: 'LR',
      onClick: (node) => detail.replaceChildren(stateDetail(p, node.id)),
    }));
  append(root, h('div', { className: 'split' }, graph, detail));
  const failed = p.states.find((s) => p.last_states[s.name] && p.last_states[s.name].status === 'failed');
  if (failed) detail.replaceChildren(stateDetail(p, failed.name));
  // While a run goes, redraw every second so states change colour as they finish.
  if (p.active_run) {
    const active = p.active_run;
    append(root, h('p', { className: 'muted', 'data-testid': 'run-progress' },
      `run ${active.run_id} in progress${active.total ? `: ${active.done || 0}/${active.total} done` : ''}`,
      active.cancel_requested ? ' · cancelling…' : cancelButton(active.run_id, root)));
    const here = location.hash;
    setTimeout(() => { if (location.hash === here) window.dispatchEvent(new HashChangeEvent('hashchange')); }, 1000);
  }
}

// Asks the server to stop a running run; the page's own refresh shows it ending "cancelled"
// (project runs) or "aborted" (state machines).
function cancelButton(id, root) {
  const button = h('button', { 'data-testid': 'cancel-run', onclick: async () => {
    button.disabled = true;
    button.textContent = 'Cancelling…';
    try {
      await api(`/api/runs/${enc(id)}/cancel`, { method: 'POST', body: {} });
    } catch (error) {
      button.disabled = false;
      button.textContent = 'Cancel run';
      append(root, errorBox(error));
    }
  } }, 'Cancel run');
  return button;
}

export async function runsPage(root, params) {
  const status = params.get('status') || '';
  const { runs } = await api(`/api/runs?limit=100${status ? `&status=${enc(status)}` : ''}`);
  append(root, h('h1', {}, 'Runs'),
    h('div', { className: 'toolbar' }, ['', 'success', 'failed', 'cancelled', 'running'].map((s) =>
      h('a', { className: `toggle ${s === status ? 'on' : ''}`, href: `#/runs${s ? `?status=${s}` : ''}` }, s || 'all'))),
    runsTable(runs));
}

export async function runPage(root, params, id) {
  const run = await api(`/api/runs/${enc(id)}`);
  const logs = await api(`/api/runs/${enc(id)}/logs`);
  append(root, 
    h('div', { className: 'title-row' }, h('h1', {}, 'Run ', run.run_id),
      h('span', { className: `status status-${run.status}`, 'data-testid': 'run-status' }, run.status),
      run.status === 'running'
        ? (run.cancel_requested ? h('span', { className: 'muted' }, 'cancelling…') : cancelButton(id, root)) : null,
      run.status === 'failed' || run.status === 'cancelled'
        ? h('button', { 'data-testid': 'resume-run', onclick: async () => {
          try {
            const r = await api(`/api/runs/${enc(id)}/resume`, { method: 'POST', body: {} });
            location.hash = `#/run/${enc(r.run_id)}`;
          } catch (error) { append(root, errorBox(error)); }
        } }, 'Resume') : null),
    h('p', {}, `${run.pipeline} · ${run.command} · started ${run.started_at} · ${formatMs(run.duration_ms)}`),
    run.error ? h('pre', { className: 'error', 'data-testid': 'run-error' }, run.error) : null,
    h('table', { className: 'data', 'data-testid': 'run-states' },
      h('thead', {}, h('tr', {}, ['state', 'status', 'duration', 'rows', 'quarantined', 'error'].map((c) => h('th', {}, c)))),
      h('tbody', {}, Object.entries(run.states).map(([name, s]) => h('tr', {},
        h('td', {}, name), h('td', {}, h('span', { className: `status status-${s.status}` }, s.status)),
        h('td', { className: 'num' }, formatMs(s.duration_ms)), h('td', { className: 'num' }, formatNumber(s.rows_written)),
        h('td', { className: 'num' }, formatNumber(s.rows_quarantined)), h('td', { className: 'error-text' }, s.error))))),
    h('h2', {}, 'Log'), logView(logs.lines));
  if (run.status === 'running') setTimeout(() => { if (location.hash.includes(enc(id))) window.dispatchEvent(new HashChangeEvent('hashchange')); }, 1000);
}
