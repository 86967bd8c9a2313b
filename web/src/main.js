// strata web UI: a hash-routed single page app over the JSON API.
import { h, errorBox, api, setCsrfToken } from './dom.js';
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
let me = null;  // who is logged in (GET /api/me), null before the login

// Shows who is logged in, with a Logout button, in the top bar.
function showUser() {
  const slot = document.getElementById('user');
  if (!me) {
    slot.replaceChildren();
    return;
  }
  const logout = h('button', {
    type: 'button', className: 'link', 'data-testid': 'logout',
    onclick: async () => {
      try { await api('/api/logout', { method: 'POST', body: {} }); } catch { /* gone already */ }
      me = null;
      setCsrfToken('');
      showUser();
      render();
    },
  }, 'Log out');
  slot.replaceChildren(h('span', { 'data-testid': 'user-name' }, me.user), ' ', logout);
}

// The login form; on success the page that was asked for renders.
function loginPage(app, why) {
  const user = h('input', { name: 'user', autocomplete: 'username', 'data-testid': 'login-user', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', 'data-testid': 'login-password', required: true });
  const message = h('div', { className: 'error-text', 'data-testid': 'login-error' }, why || '');
  const form = h('form', { className: 'login', 'data-testid': 'login-form' },
    h('h1', {}, 'Log in to strata'),
    h('label', {}, 'User', user),
    h('label', {}, 'Password', password),
    h('button', { type: 'submit', 'data-testid': 'login-submit' }, 'Log in'),
    message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const session = await api('/api/login', { method: 'POST', body: { user: user.value, password: password.value } });
      setCsrfToken(session.csrf_token);
      me = session;
      showUser();
      render();
    } catch (error) {
      message.textContent = error.message;
    }
  });
  app.replaceChildren(h('div', { className: 'page' }, form));
  user.focus();
}

async function render() {
  const app = document.getElementById('app');
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const params = new URLSearchParams(query);
  const mine = ++generation;
  if (!me) {
    try {
      me = await api('/api/me');
      setCsrfToken(me.csrf_token);
      showUser();
    } catch (error) {
      if (mine === generation) loginPage(app, error.status === 401 ? '' : error.message);
      return;
    }
  }
  for (const [pattern, page] of routes) {
    const match = path.match(pattern);
    if (!match) continue;
    const args = match.slice(1).map(decodeURIComponent);
    const container = h('div', { className: 'page', 'data-loading': 'true' });
    app.replaceChildren(container);
    try {
      await page(container, params, ...args);
    } catch (error) {
      if (error.status === 401) {  // the session ended (expired, logged out elsewhere)
        me = null;
        showUser();
        if (mine === generation) loginPage(app, 'Your session ended: log in again.');
        return;
      }
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
