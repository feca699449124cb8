/**
 * The "AI FinOps" menu: Refresh now, Status, Settings, Validate inputs.
 */

var FINOPS_MENU = [
  ['Refresh now', 'refreshNow'],
  ['Status', 'showStatus'],
  ['Settings', 'showSettings'],
  null,
  ['Validate inputs', 'validateInputs']
];
var FINOPS_POLL_MS = 3000;  // between two GET /v1/runs/{id}
var FINOPS_POLL_LIMIT_MS = 5 * 60 * 1000;  // then the run carries on without us watching
var FINOPS_POLL_ERRORS = 3;  // consecutive failed polls (5xx, time-outs) before giving up watching

function onOpen(e) {
  var menu = SpreadsheetApp.getUi().createMenu('AI FinOps');
  FINOPS_MENU.forEach(function (item) {
    if (item) menu.addItem(item[0], item[1]);
    else menu.addSeparator();
  });
  menu.addToUi();
}

function onInstall(e) {
  onOpen(e);
}

// ---------------------------------------------------------------------------------------------
// Refresh now

/** Menu: queue a run (POST /v1/runs), watch it (GET /v1/runs/{id}) with progress toasts, show the outcome. */
function refreshNow(kind) {
  var book = SpreadsheetApp.getActiveSpreadsheet();
  var ui = SpreadsheetApp.getUi();
  var outcome;
  try {
    outcome = finopsRefresh(typeof kind === 'string' ? kind : 'hourly', function (text) {
      book.toast(text, 'AI FinOps', 30);
    });
  } catch (err) {
    outcome = {ok: false, status: 'error', title: 'AI FinOps: refresh not done', message: finopsErrorSentence(err)};
  }
  book.toast(outcome.title, 'AI FinOps', 5);
  ui.alert(outcome.title, outcome.message, ui.ButtonSet.OK);
  return outcome;
}

function finopsRefresh(kind, progress) {
  var queued = finopsApi_('post', '/v1/runs', {kind: kind}, 'refresh the sheet');
  var runId = queued.run_id;
  finopsProps_().setProperty(FINOPS_PROP_LAST_RUN, runId);
  progress('Refresh queued (run ' + runId + '): waiting for the pipeline to start...');
  var polls = Math.ceil(FINOPS_POLL_LIMIT_MS / FINOPS_POLL_MS), errors = 0, run = queued, lastNote = '';
  for (var i = 0; i < polls; i++) {
    Utilities.sleep(FINOPS_POLL_MS);
    try {
      run = finopsApi_('get', '/v1/runs/' + encodeURIComponent(runId), null, 'read runs');
      errors = 0;
    } catch (err) {
      var transient = err instanceof FinopsApiError && (err.status === 0 || err.status >= 500 || err.status === 429);
      if (!transient || ++errors >= FINOPS_POLL_ERRORS) throw err;
      continue;
    }
    if (['ok', 'partial', 'failed', 'skipped'].indexOf(run.status) >= 0) return finopsOutcome(run);
    var note = finopsProgressText(run);
    if (note !== lastNote) progress(note);
    lastNote = note;
  }
  return {
    ok: false, status: run.status, runId: runId, title: 'AI FinOps: the refresh is still running',
    message: 'Run ' + runId + ' is still ' + run.status + ' after ' + Math.round(FINOPS_POLL_LIMIT_MS / 60000) +
      ' minutes. It carries on by itself: open AI FinOps > Status later to see how it ended.'
  };
}

function finopsProgressText(run) {
  if (run.status === 'queued') return 'Refresh queued (run ' + run.run_id + '): waiting for the pipeline to start...';
  var steps = run.steps || [];
  var last = steps.length ? steps[steps.length - 1].name : '';
  return 'Refreshing: ' + steps.length + (steps.length === 1 ? ' step' : ' steps') + ' done' +
    (last ? ' (last: ' + last + ')' : '') + '...';
}

function finopsSeconds_(run) {
  var start = Date.parse(run.started_at || run.queued_at || ''), end = Date.parse(run.finished_at || '');
  return isFinite(start) && isFinite(end) && end >= start ? Math.round((end - start) / 1000) : null;
}

/** The outcome of a finished run as the dialog shows it. */
function finopsOutcome(run) {
  var seconds = finopsSeconds_(run);
  var took = seconds === null ? '' : ' in ' + seconds + ' s';
  var failed = (run.steps || []).filter(function (s) { return s.status === 'failed'; });
  var lines = [];
  var title;
  if (run.status === 'ok') {
    title = 'AI FinOps: the sheet is up to date';
    lines.push('The ' + run.kind + ' run finished' + took + ': ' + (run.message || 'ok') + '.');
  } else if (run.status === 'partial') {
    title = 'AI FinOps: refreshed, with problems';
    lines.push('The ' + run.kind + ' run finished' + took + ', but ' + failed.length +
      (failed.length === 1 ? ' step' : ' steps') + ' failed; the other steps completed and the sheet shows them.');
  } else if (run.status === 'skipped') {
    title = 'AI FinOps: another run is already going';
    lines.push('Another run was already in progress, so this one was skipped' +
      (run.message ? ' (' + run.message + ')' : '') + '. That run updates the sheet when it finishes.');
  } else {
    title = 'AI FinOps: the refresh failed';
    lines.push('The ' + run.kind + ' run failed' + (run.message ? ': ' + run.message : '') +
      '. Nothing it could not finish was changed; try again later.');
  }
  failed.forEach(function (s) { lines.push('- ' + s.name + ': ' + (s.detail || 'failed')); });
  if (run.status === 'ok' || run.status === 'partial') {
    lines.push('Emails sent: ' + (run.emails_sent || 0) + '. See the Sync log tab for any cell the sync could ' +
      'not read.');
  }
  lines.push('Run ' + run.run_id + '.');
  return {ok: run.status === 'ok', status: run.status, runId: run.run_id, title: title, message: lines.join('\n'),
          run: run};
}

// ---------------------------------------------------------------------------------------------
// Status and Settings

/** Menu: the Status sidebar. */
function showStatus() {
  var html = HtmlService.createHtmlOutput(statusPage(getStatusData())).setTitle('AI FinOps status');
  SpreadsheetApp.getUi().showSidebar(html);
}

/** The sidebar's Reload button. */
function statusBody() {
  return statusSections(getStatusData());
}

/** Menu: the Settings dialog (the API URL and the sheet token, kept in Script Properties). */
function showSettings() {
  var html = HtmlService.createHtmlOutputFromFile('Settings').setWidth(440).setHeight(330);
  SpreadsheetApp.getUi().showModalDialog(html, 'AI FinOps settings');
}

/** The Settings dialog's Test button. */
function testConnection() {
  try {
    var answer = finopsApi_('get', '/v1/alerts?state=open', null, 'read alerts');
    var n = (answer.alerts || []).length;
    return 'Connected: the API answered with ' + n + ' open ' + (n === 1 ? 'alert' : 'alerts') + '.';
  } catch (err) {
    return finopsErrorSentence(err);
  }
}
