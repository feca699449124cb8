'use strict';
/** The Status sidebar: last run, per-source freshness, open alerts with reasons, paused agents. */
const test = require('node:test');
const assert = require('node:assert/strict');
const {loadAddon, plain} = require('./fakes');
const {fakeApi, TOKEN, URL} = require('./api_fake');

const SYNC_LOG = [['Run at', 'Result', 'Tab', 'Cell', 'Value', 'Message'],
                  ['2026-11-30T23:05:14Z', 'ok', '', '', '', 'hourly run: 7 steps ok'],
                  ['2026-11-30T23:05:14Z', 'bad cell', 'Use cases', 'D3', '1.200', 'ambiguous']];

function addonWith(api, props) {
  return loadAddon({fetch: api.fetch, sheets: {'Sync log': SYNC_LOG},
                    scriptProperties: {FINOPS_API_URL: URL, FINOPS_SHEET_TOKEN: TOKEN, ...(props || {})}});
}

test('the sidebar data: the last run, each source\'s freshness, open alerts (most severe first) and paused agents', () => {
  const api = fakeApi({runSteps: [{status: 'partial', message: '1 of 7 steps failed',
                                   steps: [{name: 'pull aws', status: 'failed', detail: 'AccessDenied'}]}]});
  const addon = addonWith(api, {FINOPS_LAST_RUN_ID: 'hourly-20261130T230500-ab12'});
  const data = plain(addon.run.getStatusData());
  assert.deepEqual(data.errors, []);
  assert.deepEqual(data.syncLog, {at: '2026-11-30T23:05:14Z', result: 'ok', message: 'hourly run: 7 steps ok'});
  assert.deepEqual(data.lastRun, {runId: 'hourly-20261130T230500-ab12', kind: 'hourly', status: 'partial',
    message: '1 of 7 steps failed', finishedAt: '2026-11-30T23:05:14Z', queuedAt: '2026-11-30T23:05:00Z',
    failedSteps: ['pull aws: AccessDenied']});
  assert.deepEqual(data.freshness.map((f) => [f.source, f.state, f.minutesAgo]),
    [['openai', 'ok', 35], ['anthropic', 'stale', 26 * 60], ['aws', 'error', 50]]);
  assert.equal(data.freshness[2].lastError, 'AccessDenied: ce:GetCostAndUsage');
  assert.deepEqual(data.alerts.map((a) => [a.level, a.useCase || a.team]), [['critical', 'lead-scoring'], ['red', 'claims']]);
  assert.match(data.alerts[1].reason, /spent \$12,400\.00 of its \$12,000\.00 budget/);
  assert.deepEqual(data.paused, [{useCase: 'lead-scoring', name: 'Lead scoring', team: 'sales'}]);
  const month = new Date().toISOString().slice(0, 7);
  assert.ok(api.calls.some((c) => c.route === `GET /v1/summary?month=${month}`));
});

test('the sidebar page shows every section and escapes what the API says', () => {
  const api = fakeApi();
  const addon = addonWith(api);
  addon.run.showStatus();
  const sidebar = addon.ui.sidebars[0];
  assert.equal(sidebar.getTitle(), 'AI FinOps status');
  const html = sidebar.getContent();
  for (const heading of ['Last run', 'Sources', 'Open alerts (2)', 'Paused agents (1)']) assert.ok(html.includes(`<h2>${heading}</h2>`), heading);
  assert.ok(html.includes('110% over its $0.20 target &lt;b&gt;this week&lt;/b&gt;'));
  assert.ok(html.includes('hourly run: 7 steps ok'));
  assert.ok(html.includes('AccessDenied: ce:GetCostAndUsage'));
  assert.ok(html.includes('Lead scoring'));
  assert.equal(html.includes(TOKEN), false);
  assert.equal(addon.run.statusBody().includes('<h2>Sources</h2>'), true);  // the Reload button's part
});

test('one part failing leaves the others shown, with its sentence', () => {
  const api = fakeApi({'GET /v1/alerts?state=open': () => ({status: 503, body: {error: {status: 503, message: 'storage is unavailable right now'}}})});
  const addon = addonWith(api);
  const data = plain(addon.run.getStatusData());
  assert.deepEqual(data.errors, ['The AI FinOps service is unavailable right now (503) (the API said: storage is unavailable right now). Nothing was changed: try again in a few minutes.']);
  assert.equal(data.paused.length, 1);
  assert.equal(data.freshness.length, 3);
  assert.match(addon.run.statusPage(data), /<div class="warn">The AI FinOps service is unavailable right now \(503\)/);
});

test('a refused token is said once, and nothing else is asked', () => {
  const api = fakeApi({'GET /v1/summary': () => ({status: 401, body: {error: {status: 401, message: 'missing or invalid bearer token'}}})});
  const addon = addonWith(api);
  const data = plain(addon.run.getStatusData());
  assert.equal(data.errors.length, 1);
  assert.match(data.errors[0], /^The API did not accept the sheet token/);
  assert.equal(api.calls.length, 1);
  assert.deepEqual(data.syncLog.result, 'ok');  // the sheet's own Sync log still shows the last run
});

test('before Settings, the sidebar says how to set up', () => {
  const addon = loadAddon({fetch: fakeApi().fetch});
  const data = plain(addon.run.getStatusData());
  assert.deepEqual(data.errors, ['AI FinOps is not set up yet: open AI FinOps > Settings and enter the API URL and the sheet token.']);
  assert.match(addon.run.statusPage(data), /No run yet: use AI FinOps &gt; Refresh now\./);
});
