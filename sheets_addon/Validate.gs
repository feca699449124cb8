/**
 * Marking cells the sync cannot read, as finance types them (onEdit) or all at once (menu
 * "Validate inputs"). The rules are the backend's: the columns, kinds and choices of Rules.gs
 * (generated from chalicelib/sheet/layout.py) read with Cells.gs (chalicelib/sheet/cells.py), and
 * the row rules of chalicelib/sheet/inputs.py (an id and required columns, an id used twice, the
 * percent split's one percentage per target summing to 100, a Settings label it knows).
 *
 * A mark is a note starting "AI FinOps: " and a light red background; a note finance had is kept
 * under the mark and put back when the cell is fixed.
 */

var FINOPS_MARK_PREFIX = 'AI FinOps: ';
var FINOPS_MARK_COLOUR = '#f4cccc';
var FINOPS_NOTE_SEPARATOR = '\n---\n';

function finopsNorm_(header) {
  return String(header === null || header === undefined ? '' : header).replace(/\*/g, ' ')
    .split(/\s+/).filter(function (w) { return w; }).join(' ').toLowerCase();
}

function finopsInputTab_(title) {
  var tabs = FINOPS_RULES.tabs;
  for (var i = 0; i < tabs.length; i++) if (tabs[i].title === title) return tabs[i];
  return null;
}

/** inputs.locate: field -> 0-based column, found by header name (first match wins). */
function finopsLocate_(tab, header) {
  var wanted = {};
  tab.columns.forEach(function (col) {
    col.names.forEach(function (n) { if (!(n in wanted)) wanted[n] = col.field; });
  });
  var found = {};
  for (var i = 0; i < header.length; i++) {
    var f = wanted[finopsNorm_(header[i])];
    if (f !== undefined && !(f in found)) found[f] = i;
  }
  return found;
}

function finopsSettingRow_(label) {
  var key = String(label).split(/\s+/).filter(function (w) { return w; }).join(' ').toLowerCase();
  var rows = FINOPS_RULES.settings.rows;
  for (var i = 0; i < rows.length; i++) if (rows[i].names.indexOf(key) >= 0) return rows[i];
  return null;
}

/**
 * The problems of one input tab's values (a 2-D array, header row first):
 * [{row, col (0-based), reason}].
 */
function finopsProblems(title, values) {
  var tab = finopsInputTab_(title);
  if (!tab || !values.length) return [];
  return title === FINOPS_RULES.settings.title ? finopsSettingsProblems_(tab, values) :
    finopsTabProblems_(tab, values);
}

function finopsSettingsProblems_(tab, values) {
  var cols = finopsLocate_(tab, values[0]);
  var labelCol = 'label' in cols ? cols.label : 0;
  var valueCol = 'value' in cols ? cols.value : 1;
  var out = [], seen = {};
  for (var r = 1; r < values.length; r++) {
    var label = values[r][labelCol];
    if (finopsIsBlank(label)) continue;
    var spec = finopsSettingRow_(label);
    if (!spec) {
      out.push({row: r, col: labelCol, reason: 'unknown setting: ignored'});
      continue;
    }
    if (seen[spec.field]) {
      out.push({row: r, col: labelCol, reason: 'setting already given above: ignored'});
      continue;
    }
    seen[spec.field] = true;
    var value = values[r][valueCol];
    if (finopsIsBlank(value)) continue;
    var got = finopsRead(spec.kind, value, []);
    if (!got.ok) out.push({row: r, col: valueCol, reason: spec.label + ': ' + got.reason});
  }
  return out;
}

function finopsTabProblems_(tab, values) {
  var cols = finopsLocate_(tab, values[0]);
  var idCol = null, out = [], seen = {};
  tab.columns.forEach(function (c) { if (c.field === tab.idField) idCol = c; });
  for (var r = 1; r < values.length; r++) {
    var raw = values[r];
    var known = tab.columns.filter(function (c) { return c.field in cols; });
    if (known.every(function (c) { return finopsIsBlank(raw[cols[c.field]]); })) continue;
    var typed = {};
    known.forEach(function (c) {
      var index = cols[c.field], value = raw[index];
      if (finopsIsBlank(value)) {
        if (c.field === tab.idField) out.push({row: r, col: index, reason: 'row skipped: no ' + c.header});
        else if (c.required) out.push({row: r, col: index, reason: c.header + ' is required'});
        return;
      }
      var got = finopsRead(c.kind, value, c.choices);
      if (!got.ok) {
        out.push({row: r, col: index, reason: (c.field === tab.idField ? 'row skipped: ' + c.header + ' ' :
          '') + got.reason});
        return;
      }
      typed[c.field] = got.value;
    });
    if (idCol && tab.idField in typed) {
      var id = typed[tab.idField];
      if (seen[id]) {
        out.push({row: r, col: cols[tab.idField], reason: 'row skipped: ' + idCol.header + ' ' + finopsRepr_(id) +
          ' is already used above'});
      }
      seen[id] = true;
    }
    var split = finopsPercentSplit_(tab, typed);
    if (split) out.push({row: r, col: cols.percents, reason: split});
  }
  return out;
}

/** Shared costs, the percent rule: one percentage per target, adding up to 100 (inputs.py). */
function finopsPercentSplit_(tab, typed) {
  if (tab.title !== 'Shared costs' || typed.rule !== 'percent' || !('percents' in typed)) return null;
  var percents = typed.percents, targets = typed.targets || [];
  if (percents.length !== targets.length) {
    return percents.length + ' percentage(s) for ' + targets.length + ' target(s): give one per target';
  }
  var sum = percents.reduce(function (a, b) { return a + b; }, 0);
  if (Math.abs(sum - 100) > 1e-9) {
    return 'percentages add up to ' + (Math.round(sum * 1e6) / 1e6) + ', not 100';
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// marks

function finopsIsMark_(note) {
  return typeof note === 'string' && note.indexOf(FINOPS_MARK_PREFIX) === 0;
}

/** The note finance had under a mark. */
function finopsOwnNote_(note) {
  if (!finopsIsMark_(note)) return note || '';
  var at = note.indexOf(FINOPS_NOTE_SEPARATOR);
  return at < 0 ? '' : note.slice(at + FINOPS_NOTE_SEPARATOR.length);
}

function finopsMarkNote_(reason, note) {
  var own = finopsOwnNote_(note);
  return FINOPS_MARK_PREFIX + reason + ' (the sync cannot use this cell until it is fixed)' +
    (own ? FINOPS_NOTE_SEPARATOR + own : '');
}

function finopsA1_(row, col) {
  var letters = '', n = col + 1;
  while (n) {
    var rem = (n - 1) % 26;
    letters = String.fromCharCode(65 + rem) + letters;
    n = Math.floor((n - 1) / 26);
  }
  return letters + (row + 1);
}

/**
 * Validate one sheet and set or clear the marks where they change (`edited`: the range just edited,
 * if any). Returns
 * {tab, problems: [{cell, reason, value}], marked, cleared} or null for a tab that is not an input tab.
 */
function finopsValidateSheet(sheet, edited) {
  var title = sheet.getName();
  if (!finopsInputTab_(title)) return null;
  // The cells holding values, and the edited ones (a row just emptied may carry a mark to clear).
  var rows = Math.max(sheet.getLastRow(), 1), cols = Math.max(sheet.getLastColumn(), 1);
  if (edited) {
    rows = Math.max(rows, edited.getRow() + edited.getNumRows() - 1);
    cols = Math.max(cols, edited.getColumn() + edited.getNumColumns() - 1);
  }
  var range = sheet.getRange(1, 1, rows, cols);
  var values = range.getValues();
  var notes = range.getNotes();
  var backgrounds = range.getBackgrounds();
  var problems = finopsProblems(title, values);
  var bad = {};
  problems.forEach(function (p) { bad[p.row + ':' + p.col] = p.reason; });
  var marked = 0, cleared = 0;
  for (var r = 1; r < values.length; r++) {
    for (var c = 0; c < values[r].length; c++) {
      var reason = bad[r + ':' + c];
      var note = notes[r] ? notes[r][c] : '';
      var cell;
      if (reason !== undefined) {
        var wanted = finopsMarkNote_(reason, note);
        if (note !== wanted) {
          cell = sheet.getRange(r + 1, c + 1);
          cell.setNote(wanted);
          cell.setBackground(FINOPS_MARK_COLOUR);
          marked++;
        }
      } else if (finopsIsMark_(note)) {
        cell = sheet.getRange(r + 1, c + 1);
        cell.setNote(finopsOwnNote_(note));
        if (String(backgrounds[r][c]).toLowerCase() === FINOPS_MARK_COLOUR) cell.setBackground(null);
        cleared++;
      }
    }
  }
  return {
    tab: title,
    problems: problems.map(function (p) {
      return {cell: finopsA1_(p.row, p.col), reason: p.reason, value: values[p.row][p.col]};
    }),
    marked: marked,
    cleared: cleared
  };
}

/** Simple trigger: an edit to an input tab marks (or clears) at once. Never throws. */
function onEdit(e) {
  try {
    if (!e || !e.range) return;
    finopsValidateSheet(e.range.getSheet(), e.range);
  } catch (err) {
    console.warn('AI FinOps: could not check the edit: ' + (err && err.message ? err.message : err));
  }
}

/** Every input tab: {results, missing, problems} */
function finopsValidateAll() {
  var book = SpreadsheetApp.getActiveSpreadsheet();
  var results = [], missing = [], problems = [];
  FINOPS_RULES.tabs.forEach(function (tab) {
    var sheet = book.getSheetByName(tab.title);
    if (!sheet) {
      missing.push(tab.title);
      return;
    }
    var result = finopsValidateSheet(sheet);
    results.push(result);
    result.problems.forEach(function (p) {
      problems.push({tab: tab.title, cell: p.cell, reason: p.reason, value: p.value});
    });
  });
  return {results: results, missing: missing, problems: problems};
}

/** Menu: Validate inputs. */
function validateInputs() {
  var ui = SpreadsheetApp.getUi();
  var all = finopsValidateAll();
  var text = finopsValidationMessage(all);
  ui.alert('AI FinOps: validate inputs', text, ui.ButtonSet.OK);
  return all;
}

function finopsValidationMessage(all) {
  var lines = [];
  if (!all.problems.length) {
    lines.push('Every input tab reads cleanly: the next sync will use every cell.');
  } else {
    lines.push(all.problems.length + (all.problems.length === 1 ? ' cell' : ' cells') +
      ' the sync cannot use ' + (all.problems.length === 1 ? 'is' : 'are') +
      ' marked in red with a note. Until fixed, the sync keeps the last good value (or skips the row).');
    all.problems.slice(0, 15).forEach(function (p) {
      lines.push('- ' + p.tab + '!' + p.cell + ': ' + p.reason);
    });
    if (all.problems.length > 15) lines.push('... and ' + (all.problems.length - 15) + ' more (see the notes).');
  }
  if (all.missing.length) {
    lines.push('Missing tabs (the sync keeps their last good rows): ' + all.missing.join(', ') + '.');
  }
  return lines.join('\n');
}
