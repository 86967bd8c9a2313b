// Read-only SQL over the lake.
import { append, h, api, errorBox, resultTable } from './dom.js';

export async function sqlPage(root, params) {
  const area = h('textarea', { rows: 8, className: 'sql', 'data-testid': 'sql-input', spellcheck: 'false' },
    params.get('q') || 'SELECT * FROM gold.agregado_fluxo_de_caixa_mensal LIMIT 20');
  const out = h('div', { 'data-testid': 'sql-output' });
  const run = async () => {
    out.replaceChildren(h('p', { className: 'muted' }, 'running…'));
    try {
      const result = await api('/api/sql', { method: 'POST', body: { sql: area.value, limit: 1000 } });
      out.replaceChildren(h('p', { className: 'muted' }, `${result.row_count} rows in ${result.elapsed_ms} ms`),
        resultTable(result));
    } catch (error) {
      out.replaceChildren(errorBox(error));
    }
  };
  area.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) run(); });
  append(root, h('h1', {}, 'SQL'),
    h('p', { className: 'muted' }, 'One read-only SELECT; lake tables as layer.name, time travel with AT (VERSION => n). Ctrl+Enter runs.'),
    area, h('div', {}, h('button', { onclick: run, 'data-testid': 'sql-run' }, 'Run')), out);
}
