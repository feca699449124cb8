/**
 * The Status sidebar: the last run, per-source freshness, open alerts with their reasons and the
 * paused agents. getStatusData() gathers (each part on its own: one failing API call leaves the
 * others shown, with its sentence); statusPage(data) renders plain HTML (no scripts beyond the
 * Reload button).
 */

var FINOPS_SYNC_LOG = 'Sync log';
var FINOPS_STALE_MINUTES = 3 * 60;  // a source not pulled for this long is shown as stale (hourly runs)

function finopsNowMs_() {
  return new Date().getTime();
}

function finopsMinutesAgo_(iso, nowMs) {
  var at = Date.parse(iso || '');
  return isFinite(at) ? Math.max(0, Math.round((nowMs - at) / 60000)) : null;
}

/** The newest run line of the Sync log tab (every run writes one, scheduled or requested). */
function finopsSyncLogLine_() {
  var sheet = SpreadsheetApp.getActiveSpreadsheet().getSheetByName(FINOPS_SYNC_LOG);
  if (!sheet || sheet.getLastRow() < 2) return null;
  var row = sheet.getRange(2, 1, 1, 6).getValues()[0];
  if (finopsIsBlank(row[0])) return null;
  var at = row[0] instanceof Date || Object.prototype.toString.call(row[0]) === '[object Date]' ?
    row[0].toISOString() : String(row[0]);
  return {at: at, result: String(row[1] || ''), message: String(row[5] || '')};
}

function getStatusData() {
  var nowMs = finopsNowMs_();
  var data = {generatedAt: new Date(nowMs).toISOString(), lastRun: null, syncLog: null, freshness: [], alerts: [],
              paused: [], errors: []};
  var stop = false;

  function attempt(fn) {
    if (stop) return;
    try {
      fn();
    } catch (err) {
      var sentence = finopsErrorSentence(err);
      if (data.errors.indexOf(sentence) < 0) data.errors.push(sentence);
      // Not set up, or the token refused: every other call would say the same.
      if (!(err instanceof FinopsApiError) || err.status === 0 && /not set up/.test(err.message) ||
          err.status === 401 || err.status === 403) stop = true;
    }
  }

  try {
    data.syncLog = finopsSyncLogLine_();
  } catch (err) {
    data.errors.push('The Sync log tab could not be read: ' + finopsErrorSentence(err));
  }
  var lastId = finopsProps_().getProperty(FINOPS_PROP_LAST_RUN);
  if (lastId) {
    attempt(function () {
      var run = finopsApi_('get', '/v1/runs/' + encodeURIComponent(lastId), null, 'read runs');
      data.lastRun = {runId: run.run_id, kind: run.kind, status: run.status, message: run.message || '',
                      finishedAt: run.finished_at || null, queuedAt: run.queued_at || null,
                      failedSteps: (run.steps || []).filter(function (s) { return s.status === 'failed'; })
                        .map(function (s) { return s.name + ': ' + (s.detail || 'failed'); })};
    });
  }
  attempt(function () {
    var month = new Date(nowMs).toISOString().slice(0, 7);
    var summary = finopsApi_('get', '/v1/summary?month=' + month, null, 'read the summary');
    data.freshness = (summary.freshness || []).map(function (f) {
      var age = finopsMinutesAgo_(f.last_success_at, nowMs);
      var state = f.status || (f.last_error ? 'error' : 'never');
      if (state === 'ok' && age !== null && age > FINOPS_STALE_MINUTES) state = 'stale';
      if (!f.last_success_at && state !== 'error') state = 'never';
      return {source: f.source, state: state, lastSuccessAt: f.last_success_at || null, minutesAgo: age,
              lastError: f.last_error || null, daysAsked: f.days_asked || 0, daysAnswered: f.days_answered || 0};
    });
  });
  attempt(function () {
    var alerts = finopsApi_('get', '/v1/alerts?state=open', null, 'read alerts');
    var order = {critical: 0, red: 1, high: 2, yellow: 3};
    data.alerts = (alerts.alerts || []).map(function (a) {
      return {level: a.level, kind: a.kind, useCase: a.use_case || null, team: a.team || null, since: a.since,
              reason: a.reason};
    }).sort(function (a, b) {
      return ((order[a.level] === undefined ? 9 : order[a.level]) - (order[b.level] === undefined ? 9 : order[b.level]))
        || String(a.since).localeCompare(String(b.since));
    });
  });
  attempt(function () {
    var useCases = finopsApi_('get', '/v1/use-cases', null, 'read use cases');
    data.paused = (useCases.use_cases || []).filter(function (u) { return u.paused; }).map(function (u) {
      return {useCase: u.use_case, name: u.name || u.use_case, team: u.team || ''};
    });
  });
  return data;
}

// ---------------------------------------------------------------------------------------------
// HTML

function finopsEsc_(text) {
  return String(text === null || text === undefined ? '' : text).replace(/&/g, '&amp;').replace(/</g, '&lt;')
    .replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function finopsAgo_(minutes) {
  if (minutes === null || minutes === undefined) return '';
  if (minutes < 1) return 'just now';
  if (minutes < 90) return minutes + ' min ago';
  if (minutes < 48 * 60) return Math.round(minutes / 60) + ' h ago';
  return Math.round(minutes / 1440) + ' days ago';
}

function finopsWhen_(iso) {
  if (!iso) return '';
  return String(iso).replace('T', ' ').replace(/(:\d\d)(\.\d+)?(Z|\+00:00)$/, '$1 UTC').replace(/:\d\d UTC$/, ' UTC');
}

var FINOPS_STATUS_CSS = [
  'body{font-family:Roboto,Arial,sans-serif;font-size:13px;color:#202124;margin:0;padding:12px;}',
  'h2{font-size:13px;font-weight:600;margin:16px 0 6px;color:#3c4043;text-transform:uppercase;letter-spacing:.4px;}',
  '.card{border:1px solid #dadce0;border-radius:8px;padding:8px 10px;margin-bottom:6px;}',
  '.muted{color:#5f6368;font-size:12px;}',
  '.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:11px;font-weight:600;margin-right:4px;}',
  '.ok,.green{background:#b7e1cd;color:#0d652d;}',
  '.partial,.yellow,.stale,.skipped,.running,.queued{background:#fce8b2;color:#7a4f01;}',
  '.red,.error,.failed,.high{background:#f4c7c3;color:#a50e0e;}',
  '.critical{background:#cc0000;color:#fff;}',
  '.never{background:#e8eaed;color:#3c4043;}',
  '.warn{background:#fef7e0;border:1px solid #f9ab00;border-radius:8px;padding:8px 10px;margin-bottom:8px;}',
  'button{background:#1a73e8;color:#fff;border:0;border-radius:4px;padding:6px 12px;font-size:13px;cursor:pointer;}',
  '.row{display:flex;justify-content:space-between;align-items:center;}'
].join('\n');

/** The sidebar's sections (the part Reload replaces). */
function statusSections(data) {
  var h = [];
  data.errors.forEach(function (e) { h.push('<div class="warn">' + finopsEsc_(e) + '</div>'); });

  h.push('<h2>Last run</h2>');
  if (data.syncLog) {
    h.push('<div class="card"><div class="row"><span>' + finopsEsc_(finopsWhen_(data.syncLog.at)) + '</span>' +
      '<span class="badge ' + finopsEsc_(data.syncLog.result) + '">' + finopsEsc_(data.syncLog.result) +
      '</span></div><div class="muted">' + finopsEsc_(data.syncLog.message) + '</div></div>');
  }
  if (data.lastRun) {
    var r = data.lastRun;
    h.push('<div class="card"><div class="row"><span>Your last refresh (' + finopsEsc_(r.kind) + ')</span>' +
      '<span class="badge ' + finopsEsc_(r.status) + '">' + finopsEsc_(r.status) + '</span></div>' +
      '<div class="muted">' + finopsEsc_(finopsWhen_(r.finishedAt || r.queuedAt)) +
      (r.message ? ' &middot; ' + finopsEsc_(r.message) : '') + '</div>' +
      r.failedSteps.map(function (s) { return '<div class="muted">&#9888; ' + finopsEsc_(s) + '</div>'; }).join('') +
      '</div>');
  }
  if (!data.syncLog && !data.lastRun) h.push('<div class="muted">No run yet: use AI FinOps &gt; Refresh now.</div>');

  h.push('<h2>Sources</h2>');
  if (!data.freshness.length) h.push('<div class="muted">No billing source has been pulled yet.</div>');
  data.freshness.forEach(function (f) {
    var detail = f.lastSuccessAt ? 'last pulled ' + finopsAgo_(f.minutesAgo) + ' (' + finopsWhen_(f.lastSuccessAt) +
      ')' : 'never pulled';
    if (f.daysAsked) detail += ', ' + f.daysAnswered + ' of ' + f.daysAsked + ' days answered';
    h.push('<div class="card"><div class="row"><span>' + finopsEsc_(f.source) + '</span><span class="badge ' +
      finopsEsc_(f.state) + '">' + finopsEsc_(f.state) + '</span></div><div class="muted">' + finopsEsc_(detail) +
      '</div>' + (f.lastError ? '<div class="muted">&#9888; ' + finopsEsc_(f.lastError) + '</div>' : '') + '</div>');
  });

  h.push('<h2>Open alerts (' + data.alerts.length + ')</h2>');
  if (!data.alerts.length) h.push('<div class="muted">No open alerts.</div>');
  data.alerts.forEach(function (a) {
    h.push('<div class="card"><div class="row"><span><span class="badge ' + finopsEsc_(a.level) + '">' +
      finopsEsc_(a.level) + '</span>' + finopsEsc_(a.useCase || a.team || a.kind) + '</span><span class="muted">since ' +
      finopsEsc_(a.since) + '</span></div><div>' + finopsEsc_(a.reason) + '</div></div>');
  });

  h.push('<h2>Paused agents (' + data.paused.length + ')</h2>');
  if (!data.paused.length) h.push('<div class="muted">No agent is paused.</div>');
  data.paused.forEach(function (p) {
    h.push('<div class="card"><div class="row"><span>' + finopsEsc_(p.name) + '</span><span class="badge critical">' +
      'paused</span></div><div class="muted">' + finopsEsc_(p.useCase) + (p.team ? ' &middot; team ' +
      finopsEsc_(p.team) : '') + ' &middot; enter a <i>Critical cleared on</i> date in Use cases to let it run</div></div>');
  });
  h.push('<p class="muted">As of ' + finopsEsc_(finopsWhen_(data.generatedAt)) + '</p>');
  return h.join('\n');
}

/** The whole sidebar page. */
function statusPage(data) {
  return '<!DOCTYPE html><html><head><base target="_top"><meta charset="utf-8"><style>' + FINOPS_STATUS_CSS +
    '</style></head><body><div class="row"><b>AI FinOps</b><button id="reload" onclick="reload()">Reload</button>' +
    '</div><div id="sections">' + statusSections(data) + '</div><script>function reload(){' +
    'var b=document.getElementById("reload");b.disabled=true;b.textContent="Loading...";' +
    'google.script.run.withSuccessHandler(function(html){document.getElementById("sections").innerHTML=html;' +
    'b.disabled=false;b.textContent="Reload";}).withFailureHandler(function(e){b.disabled=false;' +
    'b.textContent="Reload";}).statusBody();}</script></body></html>';
}
