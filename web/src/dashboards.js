// Dashboards from dashboards/*.yaml: line, bar, table and number charts over the lake.
import { Chart, registerables } from 'chart.js';
import { append, h, api, enc, errorBox, resultTable, formatNumber } from './dom.js';

Chart.register(...registerables);
const palette = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];

export async function dashboardsPage(root) {
  const { dashboards } = await api('/api/dashboards');
  append(root, h('h1', {}, 'Dashboards'));
  if (!dashboards.length) append(root, h('p', { className: 'muted' }, 'No dashboards: add dashboards/*.yaml to the project.'));
  append(root, h('ul', { className: 'plain', 'data-testid': 'dashboards' }, dashboards.map((d) => h('li', {},
    h('a', { href: `#/dashboard/${enc(d.name)}` }, d.title), ` · ${d.charts} charts`,
    d.description ? h('div', { className: 'desc' }, d.description) : null))));
}

function toNumber(value) {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function chartConfig(spec, data) {
  const col = (name) => {
    const i = data.columns.findIndex((c) => c.name === name);
    if (i < 0) throw new Error(`chart ${spec.id}: column '${name}' is not in the result (${data.columns.map((c) => c.name).join(', ')})`);
    return i;
  };
  const xi = col(spec.x);
  const labels = [...new Set(data.rows.map((r) => String(r[xi])))];
  const datasets = [];
  if (spec.series) {
    const si = col(spec.series);
    const yi = col(spec.y[0]);
    const series = [...new Set(data.rows.map((r) => String(r[si])))];
    for (const s of series) {
      const values = new Map(data.rows.filter((r) => String(r[si]) === s).map((r) => [String(r[xi]), toNumber(r[yi])]));
      datasets.push({ label: `${s}`, data: labels.map((l) => values.get(l) ?? null) });
    }
  } else {
    for (const y of spec.y) {
      const yi = col(y);
      const values = new Map(data.rows.map((r) => [String(r[xi]), toNumber(r[yi])]));
      datasets.push({ label: y, data: labels.map((l) => values.get(l) ?? null) });
    }
  }
  datasets.forEach((d, i) => {
    d.borderColor = palette[i % palette.length];
    d.backgroundColor = palette[i % palette.length] + (spec.type === 'bar' ? 'cc' : '33');
    d.spanGaps = true;
    d.tension = 0.2;
  });
  return {
    type: spec.type,
    data: { labels, datasets },
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { position: 'bottom' } }, scales: { y: { beginAtZero: spec.type === 'bar' } } },
  };
}

async function renderChart(card, dashboard, spec) {
  const body = card.querySelector('.chart-body');
  try {
    const { data } = await api(`/api/dashboards/${enc(dashboard)}/charts/${enc(spec.id)}`);
    card.setAttribute('data-rows', String(data.row_count));
    if (spec.type === 'number') {
      const i = data.columns.findIndex((c) => c.name === spec.value);
      if (i < 0) throw new Error(`chart ${spec.id}: column '${spec.value}' is not in the result`);
      const value = data.rows.length ? data.rows[0][i] : null;
      body.replaceChildren(h('div', { className: 'number', 'data-testid': 'chart-number' }, value === null ? '—' : formatNumber(value)));
    } else if (spec.type === 'table') {
      let result = data;
      if (spec.columns && spec.columns.length) {
        const idx = spec.columns.map((c) => data.columns.findIndex((d) => d.name === c));
        result = { ...data, columns: idx.map((i) => data.columns[i]), rows: data.rows.map((r) => idx.map((i) => r[i])) };
      }
      body.replaceChildren(resultTable(result, 'chart-table'));
    } else {
      const canvas = h('canvas', { 'data-testid': 'chart-canvas' });
      body.replaceChildren(h('div', { className: 'canvas-box' }, canvas));
      const config = chartConfig(spec, data);
      // eslint-disable-next-line no-new
      new Chart(canvas, config);
      card.setAttribute('data-points', String(config.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0)));
    }
    card.setAttribute('data-state', 'ready');
  } catch (error) {
    card.setAttribute('data-state', 'error');
    body.replaceChildren(errorBox(error));
  }
}

export async function dashboardPage(root, params, name) {
  const d = await api(`/api/dashboards/${enc(name)}`);
  append(root, h('h1', { 'data-testid': 'dashboard-title' }, d.title),
    d.description ? h('p', { className: 'desc' }, d.description) : null);
  const grid = h('div', { className: 'dash-grid' });
  append(root, grid);
  const pending = d.charts.map((spec) => {
    const card = h('section', {
      className: `chart-card chart-${spec.type}`, 'data-testid': 'chart', 'data-chart': spec.id,
      'data-type': spec.type, 'data-state': 'loading',
    }, h('h2', {}, spec.title || spec.id), h('div', { className: 'chart-body' }, h('p', { className: 'muted' }, 'loading…')),
    h('details', {}, h('summary', {}, 'SQL'), h('pre', { className: 'mono small' }, spec.sql)));
    grid.append(card);
    return renderChart(card, name, spec);
  });
  await Promise.all(pending);
}
