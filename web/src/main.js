// strata web UI: a hash-routed single page app over the JSON API.
import { h, errorBox } from './dom.js';
import { searchPage, tablesPage, tablePage, homePage } from './catalog.js';
import { lineagePage } from './lineage.js';
import { pipelinesPage, pipelinePage, runsPage, runPage } from './runs.js';
import { dashboardsPage, dashboardPage } from './dashboards.js';
import { sqlPage } from './sql.js';

const routes = [
  [/^\/?$/, homePage],
  [/^\/search$/, searchPage],
  [/^\/tables$/, tablesPage],
  [/^\/table\/(.+)$/, tablePage],
  [/^\/lineage\/(.+)$/, lineagePage],
  [/^\/pipelines$/, pipelinesPage],
  [/^\/pipeline\/(.+)$/, pipelinePage],
  [/^\/runs$/, runsPage],
  [/^\/run\/(.+)$/, runPage],
  [/^\/dashboards$/, dashboardsPage],
  [/^\/dashboard\/(.+)$/, dashboardPage],
  [/^\/sql$/, sqlPage],
];

let generation = 0;

async function render() {
  const app = document.getElementById('app');
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const params = new URLSearchParams(query);
  const mine = ++generation;
  for (const [pattern, page] of routes) {
    const match = path.match(pattern);
    if (!match) continue;
    const args = match.slice(1).map(decodeURIComponent);
    const container = h('div', { className: 'page', 'data-loading': 'true' });
    app.replaceChildren(container);
    try {
      await page(container, params, ...args);
    } catch (error) {
      if (mine === generation) container.append(errorBox(error));
    }
    container.removeAttribute('data-loading');
    return;
  }
  app.replaceChildren(errorBox(new Error(`no page ${path}`)));
}

document.getElementById('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const q = document.getElementById('search-input').value.trim();
  if (q) location.hash = `#/search?q=${encodeURIComponent(q)}`;
});
window.addEventListener('hashchange', render);
render();
