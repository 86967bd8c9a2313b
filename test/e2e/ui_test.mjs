// Browser tests of the web UI: `strata serve` on a real ImportAu project, driven by Playwright
// (playwright-core from web/node_modules) in Debian's headless Chromium. Screenshots of every
// page go to --out. Exits non-zero when any check fails, so ctest fails when the UI breaks.
//   node test/e2e/ui_test.mjs --strata build/strata --chromium /usr/bin/chromium --out DIR
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../web/package.json'));
const { chromium } = require('playwright-core');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : fallback);
const strata = option('--strata', path.join(here, '../../build/strata'));
const chromiumPath = option('--chromium', '/usr/bin/chromium');
const out = option('--out', path.join(os.tmpdir(), 'strata-e2e'));
const tmpRoot = option('--tmp', os.tmpdir());
fs.mkdirSync(out, { recursive: true });
fs.mkdirSync(tmpRoot, { recursive: true });
const work = fs.mkdtempSync(path.join(tmpRoot, 'strata-e2e-'));
const project = path.join(work, 'importau');

const adminPassword = 'e2e-admin-password';
const failures = [];
function check(condition, message) {
  if (!condition) {
    failures.push(message);
    console.error(`FAIL: ${message}`);
  } else {
    console.log(`ok: ${message}`);
  }
}

async function startServer() {
  // The first start creates `admin` with this password (no user exists yet).
  const child = spawn(strata, ['serve', '--project', project, '--port', '0', '--sftp-port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STRATA_ADMIN_PASSWORD: adminPassword } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const port = await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`strata serve did not listen: ${stderr}`)), 180000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/listening on http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`strata serve exited ${code}: ${stderr}`)); });
  });
  return { child, port, stderr: () => stderr };
}

async function main() {
  execFileSync(strata, ['demo', 'importau', '--dir', project, '--scale', '1'], { stdio: 'ignore' });
  // A model that fails when it runs, so the UI has a failed run to show.
  fs.writeFileSync(path.join(project, 'models/gold/quebrado.sql'),
    "SELECT moeda, CAST('not a number' AS INTEGER) AS x FROM gold.agregado_fluxo_de_caixa_mensal\n");
  // A model that computes for hours (a cross join with a huge range), for the cancel button.
  fs.writeFileSync(path.join(project, 'models/gold/lento.sql'),
    'SELECT CAST(sum(a.n_pagamentos * r.range) AS BIGINT) AS s FROM gold.agregado_fluxo_de_caixa_mensal AS a, range(100000000000) AS r\n');
  // A state machine run by the orchestrator service: its second state fails after one retry.
  fs.mkdirSync(path.join(project, 'pipelines'), { recursive: true });
  fs.writeFileSync(path.join(project, 'pipelines/quebra_teste.yaml'), [
    'description: Falha de teste.', 'StartAt: Prepara', 'States:',
    '  Prepara: {Type: Pass, Next: Quebra}',
    '  Quebra:', '    Type: Task', '    Resource: strata:model:gold.quebrado',
    '    Retry: [{ErrorEquals: [States.ALL], MaxAttempts: 1, IntervalSeconds: 1}]', '    End: true', ''].join('\n'));
  const server = await startServer();
  const base = `http://127.0.0.1:${server.port}`;
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  // The test's own API calls use a session like the UI's: its cookie and its CSRF token.
  const login = await fetch(`${base}/api/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: 'admin', password: adminPassword }),
  });
  check(login.status === 200, `the admin logs in through the API (${login.status})`);
  const sessionCookie = (login.headers.get('set-cookie') || '').split(';')[0];
  const { csrf_token: csrf } = await login.json();
  const authFetch = (url, init = {}) => fetch(url, {
    ...init, headers: { ...(init.headers || {}), Cookie: sessionCookie, 'X-CSRF-Token': csrf },
  });
  check((await fetch(`${base}/api/tables`)).status === 401, 'the API refuses a request without credentials');
  try {
    const started = await (await authFetch(`${base}/api/pipelines/project/runs`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ states: ['gold.quebrado'] }),
    })).json();
    let failedRun = null;
    for (let i = 0; i < 600 && !failedRun; i++) {
      const run = await (await authFetch(`${base}/api/runs/${started.run_id}`)).json();
      if (run.status && run.status !== 'running') failedRun = run;
      else await new Promise((r) => setTimeout(r, 200));
    }
    check(failedRun && failedRun.status === 'failed', 'the broken model makes a failed run');

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    // The browser logs every non-2xx fetch; the refused write below is expected (403).
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of (401|403)/.test(m.text())) pageErrors.push(m.text());
    });
    const shot = (name) => page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
    const settled = () => page.waitForSelector('.page:not([data-loading])', { timeout: 60000 });
    // Text a page shows outside data tables and logs never reads null/undefined/NaN.
    const stray = async (where) => {
      const text = await page.$eval('.page', (el) => {
        const copy = el.cloneNode(true);
        copy.querySelectorAll('table, pre, details').forEach((n) => n.remove());
        return copy.innerText;
      });
      const m = text.match(/\b(null|undefined|NaN)\b/);
      check(!m, `${where} shows no stray '${m ? m[1] : ''}'`);
    };

    // 0. The UI asks for a login first; a wrong password says so; the right one opens the app.
    await page.goto(`${base}/`);
    await page.waitForSelector('[data-testid=login-form]', { timeout: 30000 });
    await shot('login');
    await page.fill('[data-testid=login-user]', 'admin');
    await page.fill('[data-testid=login-password]', 'wrong-password');
    await page.click('[data-testid=login-submit]');
    await page.waitForFunction(() => document.querySelector('[data-testid=login-error]').textContent !== '');
    check(/invalid user name or password/.test(await page.textContent('[data-testid=login-error]')),
      'a wrong password is refused on the login page');
    await page.fill('[data-testid=login-password]', adminPassword);
    await page.click('[data-testid=login-submit]');
    await page.waitForSelector('[data-testid=user-name]', { timeout: 30000 });
    check((await page.textContent('[data-testid=user-name]')) === 'admin', 'after the login the top bar names the user');
    await settled();

    // 1. Search finds "Risco Cambial", ranked.
    await page.goto(`${base}/`);
    await settled();
    await page.fill('[data-testid=search-input]', 'Risco Cambial');
    await page.press('[data-testid=search-input]', 'Enter');
    await page.waitForSelector('[data-testid=search-result]', { timeout: 30000 });
    const results = await page.$$eval('[data-testid=search-result] > a', (as) => as.map((a) => a.textContent));
    await shot('search');
    check(results[0] === 'gold.features_risco_cambial', `search ranks gold.features_risco_cambial first (got ${results.slice(0, 3)})`);
    check(results.includes('gold.agregado_fluxo_de_caixa_mensal'), 'search also finds the cash flow aggregate');
    await page.click('[data-testid=search-result] > a >> nth=0');
    await page.waitForSelector('[data-testid=table-name]');
    await settled();
    check((await page.textContent('[data-testid=table-name]')) === 'gold.features_risco_cambial', 'a result opens its table page');

    // 2. Table page: columns with PII badges, owner, versions, sample.
    await page.goto(`${base}/#/table/bronze.clientes`);
    await page.waitForSelector('[data-testid=columns]');
    await settled();
    const badges = await page.$$eval('[data-column=cpf_responsavel] [data-testid=pii-badge]', (b) => b.map((x) => x.textContent));
    check(badges.includes('PII CPF'), `bronze.clientes.cpf_responsavel has a CPF badge (${badges})`);
    check((await page.$$('[data-testid=versions] tbody tr')).length >= 1, 'the table page lists versions');
    check((await page.$$('[data-testid=sample] tbody tr')).length > 0, 'the table page shows a sample');
    check(/cpf_responsavel/.test(await page.textContent('[data-testid=masked-note]')), 'the sample masks PII columns');
    const upstream = await page.$$eval('dl.facts a.chip', (as) => as.map((a) => a.getAttribute('href')));
    check(upstream.some((h) => h.startsWith('#/lineage/') && h.includes('clientes.csv')), `the landing file upstream links to its lineage (${upstream})`);
    await stray('the table page');
    await shot('table');

    // 3. Lineage of the gold table: silver fact, bronze tables, landing files; click through.
    await page.goto(`${base}/#/lineage/gold.agregado_fluxo_de_caixa_mensal?direction=upstream`);
    await page.waitForSelector('[data-testid=graph-node]');
    await settled();
    const nodes = await page.$$eval('[data-testid=graph-node]', (n) => n.map((x) => x.getAttribute('data-node')));
    await stray('the lineage page');
    await shot('lineage');
    check(nodes.includes('silver.fato_pedido_correlacionado'), 'lineage shows the silver fact');
    for (const bronze of ['bronze.pagamentos', 'bronze.cambio', 'bronze.itens_pedido', 'bronze.pedidos']) {
      check(nodes.includes(bronze), `lineage shows ${bronze}`);
    }
    check(nodes.some((n) => n.endsWith('/pagamentos.csv')), 'lineage reaches the landing files');
    await page.click('[data-node="silver.fato_pedido_correlacionado"]');
    await page.waitForFunction(() => document.querySelector('[data-testid=lineage-root]')?.textContent === 'silver.fato_pedido_correlacionado');
    await page.waitForSelector('[data-testid=graph-node]');
    check(true, 'clicking the silver node opens its lineage');
    await page.goto(`${base}/#/lineage/gold.agregado_fluxo_de_caixa_mensal?direction=upstream`);
    await page.waitForSelector('[data-testid=level-column]');
    await page.click('[data-testid=level-column]');
    await page.waitForSelector('[data-testid=graph-node].kind-column', { timeout: 30000 });
    await settled();
    const columnNodes = await page.$$eval('[data-testid=graph-node]', (n) => n.map((x) => x.getAttribute('data-node')));
    check(columnNodes.includes('silver.fato_pedido_correlacionado.moeda'), 'column-level lineage on demand');
    await shot('lineage-columns');

    // 4. The pipeline page colours states by the last run; a failed run shows its error.
    await page.goto(`${base}/#/pipeline/project`);
    await page.waitForSelector('[data-testid=pipeline-graph] [data-testid=graph-node]');
    await settled();
    const failedClass = await page.getAttribute('[data-node="gold.quebrado"]', 'class');
    const okClass = await page.getAttribute('[data-node="gold.agregado_fluxo_de_caixa_mensal"]', 'class');
    check(/state-failed/.test(failedClass || ''), 'the failed state is coloured failed');
    check(/state-success/.test(okClass || ''), 'a successful state is coloured success');
    await page.waitForSelector('[data-testid=state-error]');
    const stateError = await page.textContent('[data-testid=state-error]');
    check(/Conversion Error/.test(stateError), `the failed state shows its error (${stateError.slice(0, 80)})`);
    await page.waitForSelector('[data-testid=log] div');
    await stray('the pipeline page');
    await shot('pipeline');
    await page.goto(`${base}/#/run/${encodeURIComponent(failedRun.run_id)}`);
    await page.waitForSelector('[data-testid=run-error]');
    await settled();
    const runError = await page.textContent('[data-testid=run-error]');
    check(/gold\.quebrado/.test(runError) && /Conversion Error/.test(runError), 'the run page shows the error');
    check((await page.textContent('[data-testid=run-status]')) === 'failed', 'the run page says failed');
    await shot('run-failed');

    // 4b. A state machine pipeline: states coloured by its last run, retries shown.
    const orchestrated = await (await authFetch(`${base}/api/pipelines/quebra_teste/runs`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
    })).json();
    check(Boolean(orchestrated.run_id), `the orchestrator starts a run (${JSON.stringify(orchestrated)})`);
    for (let i = 0; i < 600; i++) {
      const run = await (await authFetch(`${base}/api/runs/${orchestrated.run_id}`)).json();
      if (run.status && run.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await page.goto(`${base}/#/pipeline/quebra_teste`);
    await page.waitForSelector('[data-testid=pipeline-graph] [data-node="Quebra"]');
    await settled();
    check(/state-failed/.test(await page.getAttribute('[data-node="Quebra"]', 'class') || ''), 'the failed state machine state is red');
    check(/state-success/.test(await page.getAttribute('[data-node="Prepara"]', 'class') || ''), 'the passed state is green');
    check(/1 retries/.test(await page.textContent('[data-node="Quebra"]')), 'the state shows its retry');
    await page.waitForSelector('[data-testid=state-error]');
    check(/gold\.quebrado/.test(await page.textContent('[data-testid=state-error]')), 'the state shows why it failed');
    await stray('the state machine page');
    await shot('pipeline-state-machine');

    // 4c. A project run is cancelled from its run page while its slow model runs.
    const slow = await (await authFetch(`${base}/api/pipelines/project/runs`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ states: ['gold.lento'] }),
    })).json();
    check(Boolean(slow.run_id), `the slow run starts (${JSON.stringify(slow)})`);
    for (let i = 0; i < 600; i++) {
      const run = await (await authFetch(`${base}/api/runs/${slow.run_id}`)).json();
      if (run.states && run.states['gold.lento']) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await page.goto(`${base}/#/run/${encodeURIComponent(slow.run_id)}`);
    await page.waitForSelector('[data-testid=cancel-run]');
    await settled();
    check((await page.textContent('[data-testid=run-status]')) === 'running', 'the slow run page says running');
    await shot('run-running');
    await page.click('[data-testid=cancel-run]');
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'cancelled',
      null, { timeout: 30000 });
    await settled();
    const cancelledStates = await page.textContent('[data-testid=run-states]');
    check(/cancelled by user: interrupted while running, nothing committed/.test(cancelledStates),
      'the cancelled run says its model was interrupted and committed nothing');
    check(Boolean(await page.$('[data-testid=resume-run]')), 'a cancelled run offers Resume');
    check(!(await page.$('[data-testid=cancel-run]')), 'a cancelled run offers no Cancel');
    await stray('the cancelled run page');
    await shot('run-cancelled');

    // 4d. The runs page lists project runs (the demo's, the API's) and state machine runs, each
    // with its pipeline, and no cell reads null.
    await page.goto(`${base}/#/runs`);
    await page.waitForSelector('[data-testid=runs-table] [data-testid=run-row]');
    await settled();
    const rows = await page.$$eval('[data-testid=run-row]', (rs) => rs.map((r) => ({
      pipeline: r.getAttribute('data-pipeline'), cells: [...r.querySelectorAll('td')].map((td) => td.textContent) })));
    check(rows.some((r) => r.pipeline === 'project') && rows.some((r) => r.pipeline === 'quebra_teste'),
      `the runs page lists project and state machine runs (${[...new Set(rows.map((r) => r.pipeline))]})`);
    const nullCells = rows.filter((r) => r.cells.some((c) => /\b(null|undefined|NaN)\b/.test(c)));
    check(nullCells.length === 0, `no run row shows null (${JSON.stringify(nullCells.slice(0, 2))})`);
    await stray('the runs page');
    await shot('runs');

    // 5. The dashboard renders every chart with data.
    await page.goto(`${base}/#/dashboard/fluxo_de_caixa`);
    await page.waitForSelector('[data-testid=chart]');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=chart]')]
      .every((c) => c.getAttribute('data-state') !== 'loading'), null, { timeout: 60000 });
    await settled();
    const charts = await page.$$eval('[data-testid=chart]', (cs) => cs.map((c) => ({
      id: c.getAttribute('data-chart'), type: c.getAttribute('data-type'), state: c.getAttribute('data-state'),
      rows: Number(c.getAttribute('data-rows') || 0), points: Number(c.getAttribute('data-points') || 0),
    })));
    check(charts.length >= 4, `the dashboard has its charts (${charts.length})`);
    for (const c of charts) {
      check(c.state === 'ready' && c.rows > 0, `chart ${c.id} (${c.type}) rendered with ${c.rows} rows`);
      if (c.type === 'line' || c.type === 'bar') check(c.points > 0, `chart ${c.id} plots ${c.points} points`);
    }
    // The canvases really have ink on them.
    const inked = await page.$$eval('[data-testid=chart-canvas]', (canvases) => canvases.map((cv) => {
      const ctx = cv.getContext('2d');
      const { data } = ctx.getImageData(0, 0, cv.width, cv.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
      return n;
    }));
    check(inked.length >= 2 && inked.every((n) => n > 1000), `chart canvases are drawn (${inked})`);
    const numbers = await page.$$eval('[data-testid=chart-number]', (ns) => ns.map((n) => n.textContent));
    check(numbers.length >= 1 && numbers.every((t) => /\d/.test(t)), `number charts show numbers (${numbers})`);
    await stray('the dashboard');
    await shot('dashboard');

    // 6. Read-only SQL: a SELECT shows rows; a write is refused with a clear message.
    await page.goto(`${base}/#/sql`);
    await page.waitForSelector('[data-testid=sql-input]');
    await page.fill('[data-testid=sql-input]', 'SELECT moeda, count(*) AS meses FROM gold.agregado_fluxo_de_caixa_mensal GROUP BY moeda ORDER BY moeda');
    await page.click('[data-testid=sql-run]');
    await page.waitForSelector('[data-testid=sql-output] [data-testid=result-table]');
    const sqlRows = await page.$$eval('[data-testid=result-table] tbody tr', (rows) => rows.map((r) => r.textContent));
    check(sqlRows.length === 3 && sqlRows[0].startsWith('CNY'), `the SQL page shows the result (${sqlRows})`);
    await page.fill('[data-testid=sql-input]', 'DELETE FROM gold.agregado_fluxo_de_caixa_mensal');
    await page.click('[data-testid=sql-run]');
    await page.waitForSelector('[data-testid=sql-output] [data-testid=error]');
    check(/read-only/.test(await page.textContent('[data-testid=sql-output] [data-testid=error]')), 'the SQL page refuses a write');
    await shot('sql-refused');

    check(pageErrors.length === 0, `no errors in the browser console (${pageErrors.join(' | ')})`);
  } finally {
    await browser.close();
    server.child.kill('SIGTERM');
    const code = await new Promise((resolve) => server.child.on('exit', (c) => resolve(c)));
    check(code === 0, `strata serve stops cleanly on SIGTERM (exit ${code})`);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(() => {
  console.log(`screenshots in ${out}`);
  if (failures.length) {
    console.error(`${failures.length} check(s) failed`);
    process.exit(1);
  }
}, (error) => {
  console.error(error);
  process.exit(1);
});
