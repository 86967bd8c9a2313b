// Lineage graph: click through from a gold table to its silver and bronze sources and to the
// landing files; column-level lineage on demand.
import { append, h, api, enc } from './dom.js';
import { drawGraph } from './graph.js';

function shortName(name, kind) {
  if (kind === 'file') return name.split('/').pop();
  return name;
}

export async function lineagePage(root, params, name) {
  const direction = params.get('direction') || 'both';
  const level = params.get('level') || 'table';
  const depth = params.get('depth') || '0';
  const link = (changes) => {
    const p = new URLSearchParams({ direction, level, depth, ...changes });
    return `#/lineage/${enc(name)}?${p}`;
  };
  const graph = await api(`/api/lineage/${enc(name)}?direction=${enc(direction)}&level=${enc(level)}&depth=${enc(depth)}`);
  const isColumn = graph.kind === 'column';
  append(root, 
    h('div', { className: 'title-row' },
      h('h1', {}, 'Lineage of ', h('span', { 'data-testid': 'lineage-root' }, name)),
      graph.kind === 'table' ? h('a', { className: 'button', href: `#/table/${enc(name)}` }, 'Table page') : null),
    h('div', { className: 'toolbar' },
      ['upstream', 'downstream', 'both'].map((d) => h('a', {
        className: `toggle ${d === direction ? 'on' : ''}`, href: link({ direction: d }),
      }, d)),
      h('span', { className: 'sep' }),
      isColumn ? null : ['table', 'column'].map((l) => h('a', {
        className: `toggle ${l === level ? 'on' : ''}`, href: link({ level: l }),
        'data-testid': `level-${l}`,
      }, `${l} level`))),
    h('p', { className: 'muted' }, 'Click a table to follow its lineage; a file shows what loaded it; a column shows where its values come from.'));
  if (graph.nodes.length <= 1 && graph.edges.length === 0) {
    append(root, h('p', { className: 'muted', 'data-testid': 'no-lineage' }, 'No lineage recorded for this asset.'));
  }
  const nodes = graph.nodes.map((n) => ({
    id: n.name,
    label: shortName(n.name, n.kind),
    sublabel: n.kind === 'file' ? 'landing file' : n.kind === 'column' ? (n.type || 'column') : (n.layer || n.kind),
    className: `kind-${n.kind} layer-${n.layer || 'none'} ${n.name === name ? 'root' : ''}`,
    title: [n.name, n.owner && `owner: ${n.owner}`, n.description].filter(Boolean).join('\n'),
    kind: n.kind,
  }));
  const edges = graph.edges.map((e) => ({
    from: e.from, to: e.to, className: `${e.level} ${(e.transformation || '').toLowerCase()}`,
    label: [e.transformation, e.subtype, e.job].filter(Boolean).join(' · '),
  }));
  const container = h('div', { className: 'graph-box', 'data-testid': 'lineage-graph' });
  container.append(drawGraph(nodes, edges, {
    onClick: (node) => {
      if (node.id === name && node.kind === 'table') location.hash = `#/table/${enc(node.id)}`;
      else location.hash = `#/lineage/${enc(node.id)}?direction=${node.kind === 'file' ? 'downstream' : direction}`;
    },
  }));
  append(root, container);
  append(root, h('h2', {}, 'Edges'),
    h('table', { className: 'data', 'data-testid': 'lineage-edges' },
      h('thead', {}, h('tr', {}, ['from', 'to', 'level', 'transformation', 'job'].map((c) => h('th', {}, c)))),
      h('tbody', {}, graph.edges.map((e) => h('tr', {},
        h('td', {}, h('a', { href: `#/lineage/${enc(e.from)}` }, e.from)),
        h('td', {}, h('a', { href: `#/lineage/${enc(e.to)}` }, e.to)),
        h('td', {}, e.level), h('td', {}, [e.transformation, e.subtype].filter(Boolean).join(' / ')),
        h('td', {}, e.job))))));
}
