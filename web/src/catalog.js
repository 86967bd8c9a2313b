// Home, search, tables and the table page.
import { append, h, api, enc, chip, layerBadge, formatNumber, formatBytes, resultTable } from './dom.js';

export async function homePage(root) {
  const [status, tables, runs] = await Promise.all([
    api('/api/status'), api('/api/tables'), api('/api/runs?limit=5'),
  ]);
  const byLayer = {};
  for (const t of tables.tables) byLayer[t.layer] = (byLayer[t.layer] || 0) + 1;
  append(root, 
    h('h1', {}, status.project),
    h('div', { className: 'cards' },
      Object.entries(byLayer).map(([layer, n]) => h('a', { className: 'card', href: `#/tables?layer=${enc(layer)}` },
        h('div', { className: 'big' }, n), layerBadge(layer), ' tables'))),
    h('h2', {}, 'Recent runs'),
    runsTable(runs.runs));
}

export function runsTable(runs) {
  return h('table', { className: 'data', 'data-testid': 'runs-table' },
    h('thead', {}, h('tr', {}, ['run', 'pipeline', 'status', 'started', 'duration', 'states', 'error'].map((c) => h('th', {}, c)))),
    h('tbody', {}, runs.map((r) => h('tr', { 'data-testid': 'run-row', 'data-pipeline': r.pipeline },
      h('td', {}, h('a', { href: `#/run/${enc(r.run_id)}` }, r.run_id)),
      h('td', {}, h('a', { href: `#/pipeline/${enc(r.pipeline)}` }, r.pipeline)),
      h('td', {}, h('span', { className: `status status-${r.status}` }, r.status)),
      h('td', {}, r.started_at),
      h('td', { className: 'num' }, r.duration_ms != null ? `${(r.duration_ms / 1000).toFixed(1)} s` : ''),
      h('td', { className: 'num' }, `${r.states ?? 0}${r.failed ? ` (${r.failed} failed)` : ''}`),
      h('td', { className: 'error-text' }, r.error)))));
}

function targetOf(hit) {
  if (hit.kind === 'table') return `#/table/${enc(hit.name)}`;
  if (hit.kind === 'column') return `#/table/${enc(hit.name.split('.').slice(0, 2).join('.'))}`;
  return `#/lineage/${enc(hit.name)}?direction=downstream`;
}

export async function searchPage(root, params) {
  const q = params.get('q') || '';
  document.getElementById('search-input').value = q;
  append(root, h('h1', {}, 'Search: ', q));
  const result = await api(`/api/search?q=${enc(q)}&limit=50`);
  if (!result.results.length) {
    append(root, h('p', { className: 'muted', 'data-testid': 'no-results' }, 'Nothing matches.'));
    return;
  }
  append(root, h('ol', { className: 'results', 'data-testid': 'search-results' },
    result.results.map((hit) => h('li', { 'data-testid': 'search-result' },
      h('a', { href: targetOf(hit) }, hit.name), ' ', chip(hit.kind, 'kind'),
      h('span', { className: 'score', title: 'relevance' }, hit.score.toFixed(2)),
      hit.owner ? h('span', { className: 'muted' }, ` · ${hit.owner}`) : null,
      hit.description ? h('div', { className: 'desc' }, hit.description) : null))));
}

export async function tablesPage(root, params) {
  const layer = params.get('layer') || '';
  const result = await api(`/api/tables${layer ? `?layer=${enc(layer)}` : ''}`);
  append(root, h('h1', {}, 'Tables', layer ? ` in ${layer}` : ''),
    h('table', { className: 'data', 'data-testid': 'tables' },
      h('thead', {}, h('tr', {}, ['table', 'layer', 'owner', 'rows', 'version', 'description'].map((c) => h('th', {}, c)))),
      h('tbody', {}, result.tables.map((t) => h('tr', {},
        h('td', {}, h('a', { href: `#/table/${enc(t.name)}` }, t.name)),
        h('td', {}, layerBadge(t.layer)), h('td', {}, t.owner),
        h('td', { className: 'num' }, formatNumber(t.row_count)),
        h('td', { className: 'num' }, t.version ?? ''), h('td', {}, t.description))))));
}

// Tables open their page; files (landing paths, URIs) open their lineage.
function assetLink(name) {
  const isFile = name.startsWith('/') || name.includes('://');
  return h('a', {
    className: 'chip link', title: name,
    href: isFile ? `#/lineage/${enc(name)}?direction=downstream` : `#/table/${enc(name)}`,
  }, isFile ? name.split('/').pop() : name);
}

function piiBadges(column) {
  return column.pii.map((p) => h('span', {
    className: `pii pii-${p.status}`, 'data-testid': 'pii-badge',
    title: `${p.class} (${p.status})`,
  }, `PII ${p.class}`));
}

export async function tablePage(root, params, name) {
  const t = await api(`/api/tables/${enc(name)}?sample=20`);
  append(root, 
    h('div', { className: 'title-row' },
      h('h1', { 'data-testid': 'table-name' }, t.name), layerBadge(t.layer),
      h('a', { className: 'button', href: `#/lineage/${enc(t.name)}?direction=both`, 'data-testid': 'lineage-link' }, 'Lineage')),
    h('p', { className: 'desc', 'data-testid': 'table-description' }, t.description || h('span', { className: 'muted' }, 'no description')),
    h('dl', { className: 'facts' },
      h('dt', {}, 'owner'), h('dd', { 'data-testid': 'table-owner' }, t.owner || '—'),
      h('dt', {}, 'tags'), h('dd', {}, t.tags.map((x) => chip(x, 'tag'))),
      h('dt', {}, 'glossary'), h('dd', {}, t.glossary.map((x) => chip(x, 'glossary'))),
      h('dt', {}, 'rows'), h('dd', {}, formatNumber(t.statistics.row_count ?? t.row_count)),
      h('dt', {}, 'size'), h('dd', {}, formatBytes(t.statistics.size_bytes ?? t.size_bytes)),
      h('dt', {}, 'files'), h('dd', {}, t.statistics.file_count ?? ''),
      h('dt', {}, 'version'), h('dd', {}, t.statistics.version ?? t.version ?? ''),
      h('dt', {}, 'updated'), h('dd', {}, t.data_updated_at),
      h('dt', {}, 'upstream'), h('dd', {}, t.upstream.map((u) => assetLink(u))),
      h('dt', {}, 'downstream'), h('dd', {}, t.downstream.map((u) => assetLink(u)))),
    h('h2', {}, 'Columns'),
    h('table', { className: 'data', 'data-testid': 'columns' },
      h('thead', {}, h('tr', {}, ['column', 'type', 'PII', 'tags', 'description'].map((c) => h('th', {}, c)))),
      h('tbody', {}, t.columns.map((c) => h('tr', { 'data-column': c.name },
        h('td', {}, h('a', { href: `#/lineage/${enc(`${t.name}.${c.name}`)}?direction=upstream`, title: 'column lineage' }, c.name)),
        h('td', { className: 'mono' }, c.type), h('td', {}, piiBadges(c)),
        h('td', {}, c.tags.map((x) => chip(x, 'tag'))), h('td', {}, c.description))))),
    h('h2', {}, 'Versions'),
    h('table', { className: 'data', 'data-testid': 'versions' },
      h('thead', {}, h('tr', {}, ['version', 'time', 'operation', 'metrics'].map((c) => h('th', {}, c)))),
      h('tbody', {}, t.history.map((v) => h('tr', {},
        h('td', { className: 'num' }, v.version), h('td', {}, new Date(v.timestamp_millis).toISOString()),
        h('td', {}, v.operation || ''), h('td', { className: 'mono small' }, JSON.stringify(v.metrics)))))),
    t.schema_versions.length ? h('details', {}, h('summary', {}, 'Schema changes'),
      h('ul', {}, t.schema_versions.map((v) => h('li', {}, `v${v.version} ${v.recorded_at}: ${v.changes}`)))) : null,
    h('h2', {}, 'Sample'),
    t.sample && t.sample.masked_columns && t.sample.masked_columns.length
      ? h('p', { className: 'muted', 'data-testid': 'masked-note' }, `PII masked in this preview: ${t.sample.masked_columns.join(', ')}`) : null,
    t.sample ? resultTable(t.sample, 'sample') : h('p', { className: 'muted' }, 'not in the lake'),
    h('h2', {}, 'Runs'),
    h('ul', { className: 'plain' }, t.runs.map((r) => h('li', {},
      h('span', { className: `status status-${r.status}` }, r.status), ' ', r.run_id, ' ', r.ended_at,
      r.error ? h('span', { className: 'error-text' }, ` ${r.error}`) : null))));
}
