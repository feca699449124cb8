'use strict';
/**
 * Drive the add-on's Refresh now against a real API (tests/test_addon_refresh_e2e.py runs it against the
 * local stack): the add-on's .gs files in a vm with a UrlFetchApp that performs real HTTP.
 *
 *   FINOPS_API_URL=http://127.0.0.1:8000 FINOPS_SHEET_TOKEN=... node sheets_addon/tools/refresh_live.js [kind]
 *
 * Prints JSON: {settings, outcome, alerts, toasts, logs, status} (the token is never printed).
 */
const {loadAddon, plain} = require('../test/fakes');

const url = process.env.FINOPS_API_URL;
const token = process.env.FINOPS_SHEET_TOKEN;
if (!url || !token) {
  process.stderr.write('set FINOPS_API_URL and FINOPS_SHEET_TOKEN\n');
  process.exit(2);
}
const addon = loadAddon({fetch: 'real'});
addon.run.FINOPS_POLL_MS = Number(process.env.FINOPS_POLL_MS || 1000);
const settings = addon.run.saveSettings({apiUrl: url, token});
const outcome = plain(addon.run.refreshNow(process.argv[2] || 'hourly'));
if (outcome.run) delete outcome.run.requested_by;  // names the token's id, not the token: left out anyway
const status = plain(addon.run.getStatusData());
process.stdout.write(JSON.stringify({settings, outcome, alerts: plain(addon.ui.alerts), toasts: plain(addon.book.toasts),
                                     logs: plain(addon.logs), status, requests: addon.fetches.length}, null, 1));
