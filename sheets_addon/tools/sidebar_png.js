'use strict';
/**
 * docs/addon-sidebar.png: the Status sidebar rendered with sample data by headless Chromium.
 *
 *   node sheets_addon/tools/sidebar_png.js [out.png]      (needs chromium on PATH: apt-get install -y chromium)
 *
 * The HTML is the add-on's own statusPage() (Status.gs), run in the same vm the tests use.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {execFileSync} = require('node:child_process');
const {loadAddon} = require('../test/fakes');

const OUT = path.resolve(process.argv[2] || path.join(__dirname, '..', '..', 'docs', 'addon-sidebar.png'));

const SAMPLE = {
  generatedAt: '2026-11-30T23:41:00Z',
  errors: [],
  syncLog: {at: '2026-11-30T23:05:14Z', result: 'partial', message: 'hourly run: 6 of 7 steps ok; pull aws failed'},
  lastRun: {runId: 'hourly-20261130T233812-7f3a', kind: 'hourly', status: 'ok', message: '7 steps ok',
            finishedAt: '2026-11-30T23:38:40Z', queuedAt: '2026-11-30T23:38:12Z', failedSteps: []},
  freshness: [
    {source: 'openai', state: 'ok', lastSuccessAt: '2026-11-30T23:38:20Z', minutesAgo: 3, lastError: null, daysAsked: 3, daysAnswered: 3},
    {source: 'anthropic', state: 'ok', lastSuccessAt: '2026-11-30T23:38:24Z', minutesAgo: 3, lastError: null, daysAsked: 3, daysAnswered: 3},
    {source: 'aws', state: 'error', lastSuccessAt: '2026-11-30T21:05:09Z', minutesAgo: 156,
     lastError: 'AccessDenied: not authorized to perform ce:GetCostAndUsage', daysAsked: 3, daysAnswered: 0},
  ],
  alerts: [
    {level: 'critical', kind: 'slo', useCase: 'lead-scoring', team: 'sales', since: '2026-11-23',
     reason: 'Cost per lead scored $0.42 in 2026-W48 is 110% over its $0.20 target: the agent is paused.'},
    {level: 'red', kind: 'slo', useCase: 'claims-processing', team: 'claims', since: '2026-11-16',
     reason: 'Cost per claim processed $1.38 is 38% over its $1.00 target two weeks running.'},
    {level: 'red', kind: 'budget', useCase: null, team: 'claims', since: '2026-11-27',
     reason: 'Team claims has spent $12,400.00 of its $12,000.00 monthly budget.'},
  ],
  paused: [{useCase: 'lead-scoring', name: 'Lead scoring', team: 'sales'}],
};

const {run} = loadAddon();
const page = run.statusPage(SAMPLE).replace('<body>', '<body style="width:276px">');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'addon-sidebar-'));
const html = path.join(dir, 'sidebar.html');
fs.writeFileSync(html, page);
const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((name) => {
  try { execFileSync('which', [name], {stdio: 'ignore'}); return true; } catch (e) { return false; }
});
if (!chromium) {
  process.stderr.write(`no chromium on PATH (apt-get install -y chromium); the page is in ${html}\n`);
  process.exit(2);
}
fs.mkdirSync(path.dirname(OUT), {recursive: true});
execFileSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--force-device-scale-factor=1',
                        `--user-data-dir=${path.join(dir, 'profile')}`, '--window-size=300,830', `--screenshot=${OUT}`,
                        `file://${html}`], {stdio: ['ignore', 'ignore', 'pipe']});
fs.rmSync(dir, {recursive: true, force: true});
process.stdout.write(`${OUT}\n`);
