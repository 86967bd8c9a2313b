// Directed graphs laid out with dagre and drawn as SVG: lineage and pipeline state machines.
import dagre from '@dagrejs/dagre';
import { svg } from './dom.js';

// nodes: [{id, label, sublabel, className, title}], edges: [{from, to, className, label}].
// onClick(node) is called when a node is clicked.
export function drawGraph(nodes, edges, { rankdir = 'LR', onClick } = {}) {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir, nodesep: 18, ranksep: 60, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) {
    const width = Math.max(140, Math.min(360, 7.2 * Math.max(n.label.length, (n.sublabel || '').length) + 24));
    g.setNode(n.id, { width, height: n.sublabel ? 46 : 32, node: n });
  }
  edges.forEach((e, i) => {
    if (g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to, { edge: e }, `e${i}`);
  });
  dagre.layout(g);
  const { width, height } = g.graph();
  const root = svg('svg', {
    class: 'graph', width: Math.max(width, 200), height: Math.max(height, 60),
    viewBox: `0 0 ${Math.max(width, 200)} ${Math.max(height, 60)}`, 'data-testid': 'graph',
  });
  root.append(svg('defs', {}, svg('marker', {
    id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7,
    orient: 'auto-start-reverse',
  }, svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))));
  for (const key of g.edges()) {
    const { points, edge } = g.edge(key);
    const d = points.map((p, i) => `${i ? 'L' : 'M'} ${p.x} ${p.y}`).join(' ');
    root.append(svg('path', { d, class: `edge ${edge.className || ''}`, 'marker-end': 'url(#arrow)' },
      edge.label ? svg('title', {}, edge.label) : null));
  }
  for (const id of g.nodes()) {
    const { x, y, width: w, height: hh, node } = g.node(id);
    const group = svg('g', {
      class: `node ${node.className || ''}`, transform: `translate(${x - w / 2},${y - hh / 2})`,
      'data-node': node.id, 'data-testid': 'graph-node', tabindex: 0,
      onclick: () => onClick && onClick(node),
      onkeydown: (ev) => { if (ev.key === 'Enter' && onClick) onClick(node); },
    });
    group.append(svg('rect', { width: w, height: hh, rx: 6, ry: 6 }));
    group.append(svg('text', { x: 10, y: node.sublabel ? 19 : 20, class: 'label' }, node.label));
    if (node.sublabel) group.append(svg('text', { x: 10, y: 37, class: 'sublabel' }, node.sublabel));
    if (node.title) group.append(svg('title', {}, node.title));
    root.append(group);
  }
  return root;
}
