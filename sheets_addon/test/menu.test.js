'use strict';
/** The menu, Refresh now (POST /v1/runs then GET /v1/runs/{id}), Settings, and every API error as a plain sentence. */
const test = require('node:test');
const assert = require('node:assert/strict');
const {loadAddon, plain} = require('./fakes');
const {fakeApi, TOKEN, URL} = require('./api_fake');

function configured(api, extra) {
  return loadAddon({fetch: api.fetch, scriptProperties: {FINOPS_API_URL: URL, FINOPS_SHEET_TOKEN: TOKEN},
                    sheets: {'Teams': [['Team id'], ['claims']]}, ...(extra || {})});
}

/** Nothing a person or a log sees holds the token, a stack trace or a raw exception. */
function assertNothingLeaks(addon) {
  const seen = JSON.stringify([addon.ui.alerts, addon.book.toasts, addon.logs, plain(addon.ui.sidebars.map((s) => s.getContent())),
    addon.book.sheets.map((s) => [s.values, [...s.notes.values()]])]);
  assert.equal(seen.includes(TOKEN), false, 'the token leaked');
  assert.doesNotMatch(seen, /\bat [\w.<>]+ \(|\.gs:\d+|TypeError|ReferenceError|\[object /);
}

test('onOpen adds the "AI FinOps" menu: Refresh now, Status, Settings, Validate inputs', () => {
  const addon = loadAddon();
  addon.run.onOpen({});
  assert.equal(addon.ui.menus.length, 1);
  const menu = addon.ui.menus[0];
  assert.equal(menu.name, 'AI FinOps');
  assert.deepEqual(plain(menu.items), [{caption: 'Refresh now', fn: 'refreshNow'}, {caption: 'Status', fn: 'showStatus'},
    {caption: 'Settings', fn: 'showSettings'}, null, {caption: 'Validate inputs', fn: 'validateInputs'}]);
  for (const item of menu.items.filter(Boolean)) assert.equal(typeof addon.run[item.fn], 'function', item.fn);
  addon.run.onInstall({});
  assert.equal(addon.ui.menus.length, 2);
});

test('Refresh now queues a run with the sheet token, shows progress and the outcome', () => {
  const api = fakeApi();
  const addon = configured(api);
  const outcome = addon.run.refreshNow();
  assert.equal(outcome.status, 'ok');
  const post = api.calls[0];
  assert.equal(post.route, 'POST /v1/runs');
  assert.equal(post.options.headers.Authorization, `Bearer ${TOKEN}`);
  assert.deepEqual(JSON.parse(post.options.payload), {kind: 'hourly'});
  assert.equal(post.options.muteHttpExceptions, true);
  assert.deepEqual(plain(api.calls.map((c) => c.route)), ['POST /v1/runs', ...Array(3).fill('GET /v1/runs/hourly-20261130T230500-ab12')]);
  assert.deepEqual(plain(addon.sleeps), [3000, 3000, 3000]);
  const toasts = addon.book.toasts.map((t) => t.message);
  assert.match(toasts[0], /^Refresh queued \(run hourly-20261130T230500-ab12\): waiting for the pipeline to start/);
  assert.ok(toasts.includes('Refreshing: 1 step done (last: pull openai)...'), toasts.join(' | '));
  const alert = addon.ui.alerts.at(-1);
  assert.equal(alert.title, 'AI FinOps: the sheet is up to date');
  assert.match(alert.message, /^The hourly run finished in 12 s: 7 steps ok\./);
  assert.match(alert.message, /Emails sent: 2\./);
  assert.equal(addon.scriptProps.getProperty('FINOPS_LAST_RUN_ID'), 'hourly-20261130T230500-ab12');
  assertNothingLeaks(addon);
});

test('a partial run names its failed steps; a skipped run says another is going', () => {
  let api = fakeApi({runSteps: [{status: 'partial', message: '1 of 7 steps failed', steps: [
    {name: 'pull aws', status: 'failed', seconds: 0.4, detail: 'AccessDenied: ce:GetCostAndUsage'},
    {name: 'write sheet', status: 'ok', seconds: 2, detail: ''}]}]});
  let addon = configured(api);
  addon.run.refreshNow();
  let alert = addon.ui.alerts.at(-1);
  assert.equal(alert.title, 'AI FinOps: refreshed, with problems');
  assert.match(alert.message, /1 step failed; the other steps completed/);
  assert.match(alert.message, /- pull aws: AccessDenied: ce:GetCostAndUsage/);

  api = fakeApi({runSteps: [{status: 'skipped', message: 'another run holds the lock (hourly-20261130T220500-zz)'}]});
  addon = configured(api);
  addon.run.refreshNow();
  alert = addon.ui.alerts.at(-1);
  assert.equal(alert.title, 'AI FinOps: another run is already going');
  assert.match(alert.message, /another run holds the lock/);
});

test('a run still going after five minutes is left to finish on its own', () => {
  const api = fakeApi({runSteps: [{status: 'running', steps: []}]});
  const addon = configured(api);
  const outcome = addon.run.refreshNow();
  assert.equal(outcome.status, 'running');
  assert.equal(addon.sleeps.length, 100);
  assert.match(addon.ui.alerts.at(-1).message, /is still running after 5 minutes\. It carries on by itself: open AI FinOps > Status/);
});

const ERRORS = [
  ['401', {status: 401, body: {error: {status: 401, message: 'missing or invalid bearer token'}}},
   /^The API did not accept the sheet token: it is missing, mistyped or revoked\. Open AI FinOps > Settings/],
  ['403', {status: 403, body: {error: {status: 403, message: 'this route needs an admin or sheet token'}}},
   /^The token in Settings is not allowed to refresh the sheet: it must be a sheet token/],
  ['500', {status: 500, body: {error: {status: 500, message: 'An internal server error occurred.'}}},
   /^The AI FinOps API had an internal problem \(HTTP 500\) \(the API said: An internal server error occurred\.\)\. Try again in a few minutes/],
  ['502 (an HTML page)', {status: 502, body: '<html><body>Traceback (most recent call last): ...</body></html>'},
   /^The AI FinOps API had an internal problem \(HTTP 502\)\. Try again/],
  ['503', {status: 503, body: {error: {status: 503, message: 'storage is unavailable right now'}}},
   /^The AI FinOps service is unavailable right now \(503\) \(the API said: storage is unavailable right now\)\. Nothing was changed/],
  ['504', {status: 504, body: {message: 'Endpoint request timed out'}}, /^The AI FinOps API took too long to answer \(504\)/],
];

for (const [name, answer, sentence] of ERRORS) {
  test(`Refresh now: HTTP ${name} is shown as a plain sentence, without the token`, () => {
    const api = fakeApi({'POST /v1/runs': () => answer});
    const addon = configured(api);
    const outcome = addon.run.refreshNow();
    assert.equal(outcome.ok, false);
    const alert = addon.ui.alerts.at(-1);
    assert.equal(alert.title, 'AI FinOps: refresh not done');
    assert.match(alert.message, sentence);
    assert.doesNotMatch(alert.message, /Traceback|<html/);
    assertNothingLeaks(addon);
  });
}

test('Refresh now: a time-out and an unreachable host are plain sentences too', () => {
  for (const [thrown, sentence] of [
    [`Timeout: ${URL}/v1/runs (Authorization: Bearer ${TOKEN})`, /^The AI FinOps API at api\.example\.test did not answer in time/],
    ['Address unavailable: https://api.example.test/api/v1/runs', /^Could not reach the AI FinOps API at api\.example\.test\. Check the API URL/],
  ]) {
    const addon = configured({fetch: () => { throw new Error(thrown); }});
    addon.run.refreshNow();
    assert.match(addon.ui.alerts.at(-1).message, sentence);
    assertNothingLeaks(addon);
  }
});

test('a poll that fails once is retried; three failures in a row end the watch with a sentence', () => {
  let fails = 1;
  let api = fakeApi({'GET /v1/runs/hourly-20261130T230500-ab12': () => {
    if (fails-- > 0) return {status: 503, body: {error: {status: 503, message: 'storage is unavailable right now'}}};
    return {status: 200, body: {run_id: 'hourly-20261130T230500-ab12', kind: 'hourly', status: 'ok', message: 'ok', steps: []}};
  }});
  let addon = configured(api);
  assert.equal(addon.run.refreshNow().status, 'ok');
  api = fakeApi({'GET /v1/runs/hourly-20261130T230500-ab12': () => ({status: 503, body: ''})});
  addon = configured(api);
  addon.run.refreshNow();
  assert.equal(api.calls.length, 4);
  assert.match(addon.ui.alerts.at(-1).message, /^The AI FinOps service is unavailable right now \(503\)\. Nothing was changed/);
});

test('Refresh now before Settings says what to do, and calls nothing', () => {
  const api = fakeApi();
  const addon = loadAddon({fetch: api.fetch});
  addon.run.refreshNow();
  assert.match(addon.ui.alerts.at(-1).message, /^AI FinOps is not set up yet: open AI FinOps > Settings and enter the API URL and the sheet token\.$/);
  assert.equal(api.calls.length, 0);
});

test('Settings: the dialog opens; the URL and token go to Script Properties, never to a cell or back to the page', () => {
  const api = fakeApi();
  const addon = loadAddon({fetch: api.fetch, sheets: {'Teams': [['Team id'], ['claims']]}});
  addon.run.showSettings();
  const dialog = addon.ui.dialogs[0];
  assert.equal(dialog.title, 'AI FinOps settings');
  assert.match(dialog.html.getContent(), /type="password"/);
  assert.match(addon.run.saveSettings({apiUrl: `${URL}/`, token: ` ${TOKEN} `}), /^Saved\. The API URL is https:\/\/api\.example\.test\/api;/);
  assert.deepEqual(plain(addon.scriptProps.getProperties()), {FINOPS_API_URL: URL, FINOPS_SHEET_TOKEN: TOKEN});
  assert.deepEqual(plain(addon.run.getSettings()), {apiUrl: URL, tokenStored: true});
  addon.run.saveSettings({apiUrl: 'https://other.example.test', token: ''});  // a blank token keeps the stored one
  assert.equal(addon.scriptProps.getProperty('FINOPS_SHEET_TOKEN'), TOKEN);
  assert.throws(() => addon.run.saveSettings({apiUrl: 'ftp://x', token: 'a'}), /The API URL must start with https:\/\//);
  assert.throws(() => addon.run.saveSettings({apiUrl: URL, token: 'two words'}), /no spaces/);
  assert.equal(addon.book.sheets.some((s) => JSON.stringify(s.values).includes(TOKEN)), false);
  addon.run.saveSettings({apiUrl: URL, token: ''});
  assert.equal(addon.run.testConnection(), 'Connected: the API answered with 2 open alerts.');
  assertNothingLeaks(addon);
});

test('Settings accepts a local stack address (http://127.0.0.1) but no other plain http', () => {
  const addon = loadAddon();
  assert.match(addon.run.saveSettings({apiUrl: 'http://127.0.0.1:8000', token: TOKEN}), /Saved/);
  assert.throws(() => addon.run.saveSettings({apiUrl: 'http://api.example.test', token: TOKEN}), /https/);
});
