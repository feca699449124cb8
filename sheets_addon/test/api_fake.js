'use strict';
/** A scripted AI FinOps API for the unit tests: routes -> answers, and a run that moves on as the add-on sleeps. */
const TOKEN = 'fo_sheet_SECRET_0123456789abcdef';
const URL = 'https://api.example.test/api';

function fakeApi(overrides) {
  overrides = overrides || {};
  const state = {polls: 0, runSteps: overrides.runSteps || [
    {status: 'queued', steps: []},
    {status: 'running', steps: [{name: 'pull openai', status: 'ok', seconds: 1.2, detail: ''}]},
    {status: 'ok', steps: [{name: 'pull openai', status: 'ok', seconds: 1.2, detail: ''},
                           {name: 'write sheet', status: 'ok', seconds: 2.5, detail: '3 requests'}]},
  ]};
  const run = (i) => ({run_id: 'hourly-20261130T230500-ab12', kind: 'hourly', requested_by: 'api:sheet:t1',
                       queued_at: '2026-11-30T23:05:00Z', started_at: '2026-11-30T23:05:02Z',
                       finished_at: ['ok', 'partial', 'failed', 'skipped'].includes(state.runSteps[i].status) ? '2026-11-30T23:05:14Z' : '',
                       message: state.runSteps[i].message || (state.runSteps[i].status === 'ok' ? '7 steps ok' : ''),
                       emails_sent: 2, freshness: ['openai ok 3/3 days'], ...state.runSteps[i]});
  const routes = {
    'POST /v1/runs': () => ({status: 202, body: {run_id: 'hourly-20261130T230500-ab12', kind: 'hourly', status: 'queued',
                                                 queued_at: '2026-11-30T23:05:00Z'}}),
    'GET /v1/runs/hourly-20261130T230500-ab12': () => {
      const i = Math.min(state.polls++, state.runSteps.length - 1);
      return {status: 200, body: run(i)};
    },
    'GET /v1/alerts?state=open': () => ({status: 200, body: {state: 'open', alerts: [
      {key: 'budget:team:claims', kind: 'budget', level: 'red', use_case: null, team: 'claims', since: '2026-11-20',
       reason: 'team claims has spent $12,400.00 of its $12,000.00 budget'},
      {key: 'slo:lead-scoring', kind: 'slo', level: 'critical', use_case: 'lead-scoring', team: 'sales', since: '2026-11-23',
       reason: 'cost per lead scored $0.42 is 110% over its $0.20 target <b>this week</b>'},
    ]}}),
    'GET /v1/use-cases': () => ({status: 200, body: {use_cases: [
      {use_case: 'lead-scoring', name: 'Lead scoring', team: 'sales', paused: true, status: 'active'},
      {use_case: 'claims-processing', name: 'Claims processing', team: 'claims', paused: false, status: 'active'},
    ]}}),
  };
  const calls = [];
  function fetch(url, options) {
    const method = String(options.method || 'get').toUpperCase();
    const route = `${method} ${url.slice(URL.length)}`;
    calls.push({route, options});
    if (/^GET \/v1\/summary\?month=\d{4}-\d{2}$/.test(route)) {
      const fn = overrides['GET /v1/summary'];
      if (fn) return fn(options);
      const now = Date.now();
      return {status: 200, body: {freshness: [
        {source: 'openai', status: 'ok', last_success_at: new Date(now - 35 * 60000).toISOString(), last_error: null, days_asked: 3, days_answered: 3},
        {source: 'anthropic', status: 'ok', last_success_at: new Date(now - 26 * 3600000).toISOString(), last_error: null, days_asked: 3, days_answered: 3},
        {source: 'aws', status: 'error', last_success_at: new Date(now - 50 * 60000).toISOString(), last_error: 'AccessDenied: ce:GetCostAndUsage', days_asked: 3, days_answered: 0},
      ]}};
    }
    const fn = overrides[route] || routes[route];
    if (!fn) return {status: 404, body: {error: {status: 404, message: `no route ${route}`}}};
    return fn(options);
  }
  return {fetch, calls, state};
}

module.exports = {fakeApi, TOKEN, URL};
