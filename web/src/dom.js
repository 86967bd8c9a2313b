// Tiny DOM helpers: elements are built with text nodes, never from HTML strings, so catalog
// text (descriptions, errors) can never inject markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'className') el.className = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// The session's CSRF token (the session cookie itself is HttpOnly): every change the UI asks
// for carries it, so another site cannot make the browser ask for one.
let csrfToken = '';
export function setCsrfToken(token) {
  csrfToken = token || '';
}

export async function api(path, options = {}) {
  const method = options.method || 'GET';
  const headers = options.body ? { 'Content-Type': 'application/json' } : {};
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(response.status, `HTTP ${response.status}`);
  }
  if (!response.ok) {
    throw new ApiError(response.status, (body && body.error && body.error.message) || `HTTP ${response.status}`);
  }
  return body;
}

export const enc = encodeURIComponent;

export function errorBox(error) {
  return h('div', { className: 'error', 'data-testid': 'error' }, String(error.message || error));
}

export function chip(text, kind = '') {
  return h('span', { className: `chip ${kind}` }, text);
}

export function layerBadge(layer) {
  return layer ? h('span', { className: `layer layer-${layer}` }, layer) : null;
}

export function formatNumber(value) {
  if (value === null || value === undefined || value === '') return '';
  const n = Number(value);
  return Number.isFinite(n) ? n.toLocaleString('en-US') : String(value);
}

export function formatMs(ms) {
  if (ms === null || ms === undefined) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = Number(bytes);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

// A result set ({columns, rows}) as an HTML table.
export function resultTable(result, testid = 'result-table') {
  if (!result) return null;
  return h('div', { className: 'scroll' },
    h('table', { className: 'data', 'data-testid': testid },
      h('thead', {}, h('tr', {}, result.columns.map((c) => h('th', { title: c.type }, c.name)))),
      h('tbody', {}, result.rows.map((row) => h('tr', {}, row.map((cell) =>
        h('td', { className: typeof cell === 'number' ? 'num' : '' },
          cell === null ? h('span', { className: 'null' }, 'NULL') :
            typeof cell === 'object' ? JSON.stringify(cell) : String(cell))))))),
    result.truncated ? h('p', { className: 'muted' }, `first ${result.row_count} rows shown`) : null);
}

// Element.append turns null into the text "null": this skips absent children like h() does.
export function append(parent, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}
