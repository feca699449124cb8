'use strict';
/** onEdit and Validate inputs: a bad cell is marked at once (a note and a colour); fixing it clears the mark. */
const test = require('node:test');
const assert = require('node:assert/strict');
const {loadAddon, plain, WHITE} = require('./fakes');

const USE_CASES_HEADER = ['Use case id', 'Team', 'Name', 'Monthly budget', 'Tolerance', 'Approved tier', 'CFO approved',
                          'Critical cleared on'];
const MARK = '#f4cccc';

function book() {
  return loadAddon({sheets: {
    'Use cases': [USE_CASES_HEADER,
                  ['claims-processing', 'claims', 'Claims', '$12,000', '15%', 'T2', 'no', ''],
                  ['lead-scoring', 'sales', 'Leads', 5000, 0.1, 'T1', '', '2026-11-20']],
    'Teams': [['Team id', 'Team name', 'Team lead email', 'Monthly budget'], ['claims', 'Claims', 'lead@example.com', 1000]],
    'Settings': [['Setting', 'Value', 'What it means'], ['Currency', 'USD', ''], ['Yellow overrun', '10%', ''],
                 ['Finance alert emails', 'cfo@example.com, fin@example.com', '']],
    'Shared costs': [['Shared cost key', 'Split rule', 'Split across', 'Percentages'],
                     ['platform', 'percent', 'claims-processing, lead-scoring', '60, 40']],
    'Dashboard': [['written by the sync']],
  }});
}

test('a bad amount typed in Use cases is marked at once with the backend\'s reason', () => {
  const addon = book();
  const sheet = addon.book.getSheetByName('Use cases');
  addon.run.onEdit(sheet.edit('D2', '1.200'));
  const cell = sheet.cell('D2');
  assert.equal(cell.background, MARK);
  assert.match(cell.note, /^AI FinOps: '1\.200' is ambiguous: type 1200, 1,200 or 1\.2/);
  assert.match(cell.note, /the sync cannot use this cell until it is fixed/);
  // Only that cell changed.
  assert.deepEqual(plain(sheet.writes.map((w) => w[1])), ['D2', 'D2']);
});

test('fixing the cell clears the note and the colour', () => {
  const addon = book();
  const sheet = addon.book.getSheetByName('Use cases');
  addon.run.onEdit(sheet.edit('F3', 'T4'));
  assert.match(sheet.cell('F3').note, /'T4' is not one of T1, T2, T3/);
  addon.run.onEdit(sheet.edit('F3', 'tier 3'));  // an alias the sync accepts
  assert.deepEqual(sheet.cell('F3'), {value: 'tier 3', note: '', background: WHITE});
});

test('a note finance wrote is kept under the mark and put back', () => {
  const addon = book();
  const sheet = addon.book.getSheetByName('Teams');
  sheet.getRange(2, 3).setNote('Ask HR who leads this');
  addon.run.onEdit(sheet.edit('C2', 'lead at example.com'));
  assert.match(sheet.cell('C2').note, /^AI FinOps: 'lead at example\.com' is not an email address.*\n---\nAsk HR who leads this$/s);
  addon.run.onEdit(sheet.edit('C2', 'lead@example.com'));
  assert.equal(sheet.cell('C2').note, 'Ask HR who leads this');
});

test('row rules: a required column, a missing id and an id used twice', () => {
  const addon = book();
  const sheet = addon.book.getSheetByName('Use cases');
  addon.run.onEdit(sheet.edit('B3', ''));
  assert.match(sheet.cell('B3').note, /^AI FinOps: Team is required/);
  sheet.edit('A4', 'claims-processing');
  addon.run.onEdit(sheet.edit('B4', 'claims'));
  assert.match(sheet.cell('A4').note, /row skipped: Use case id 'claims-processing' is already used above/);
  sheet.edit('A4', '');
  addon.run.onEdit(sheet.edit('A4', ''));
  assert.match(sheet.cell('A4').note, /row skipped: no Use case id/);
  addon.run.onEdit(sheet.edit('B4', ''));  // an empty row is not read at all
  assert.equal(sheet.cell('A4').note, '');
});

test('columns are found by header name, in any order, as the sync finds them', () => {
  const addon = loadAddon({sheets: {'Teams': [['Monthly budget', 'extra', 'team_id'], ['abc', 'anything', 'support']]}});
  const sheet = addon.book.getSheetByName('Teams');
  addon.run.onEdit({range: sheet.getRange(2, 1)});
  assert.match(sheet.cell('A2').note, /'abc' is not a number/);
  assert.equal(sheet.cell('B2').note, '');
});

test('Settings: a value is read with its row\'s kind; an unknown label is named', () => {
  const addon = book();
  const sheet = addon.book.getSheetByName('Settings');
  addon.run.onEdit(sheet.edit('B3', 'lots'));
  assert.match(sheet.cell('B3').note, /^AI FinOps: Yellow overrun: 'lots' is not a number/);
  addon.run.onEdit(sheet.edit('B2', 'dollars'));
  assert.match(sheet.cell('B2').note, /Currency: a currency is a 3-letter ISO code such as USD/);
  addon.run.onEdit(sheet.edit('A5', 'Purple overrun'));
  assert.match(sheet.cell('A5').note, /unknown setting: ignored/);
  addon.run.onEdit(sheet.edit('B4', 'fin@example.com; nobody'));
  assert.match(sheet.cell('B4').note, /Finance alert emails: 'nobody' is not an email address/);
});

test('Shared costs: the percent split needs one percentage per target, adding up to 100', () => {
  const addon = book();
  const sheet = addon.book.getSheetByName('Shared costs');
  addon.run.onEdit(sheet.edit('D2', '60, 30'));
  assert.match(sheet.cell('D2').note, /percentages add up to 90, not 100/);
  addon.run.onEdit(sheet.edit('D2', '100'));
  assert.match(sheet.cell('D2').note, /1 percentage\(s\) for 2 target\(s\): give one per target/);
  addon.run.onEdit(sheet.edit('D2', '50%; 50%'));
  assert.equal(sheet.cell('D2').note, '');
});

test('edits to output tabs and unknown tabs are left alone; onEdit never throws', () => {
  const addon = book();
  const dash = addon.book.getSheetByName('Dashboard');
  addon.run.onEdit(dash.edit('A2', 'anything'));
  assert.equal(dash.writes.length, 0);
  assert.doesNotThrow(() => addon.run.onEdit({range: {getSheet: () => { throw new Error('boom'); }}}));
  assert.doesNotThrow(() => addon.run.onEdit(undefined));
  assert.match(addon.logs.at(-1).text, /could not check the edit: boom/);
});

test('Validate inputs marks every bad cell of every input tab and says where they are', () => {
  const addon = book();
  const uc = addon.book.getSheetByName('Use cases');
  uc.edit('E2', '-5%');
  uc.edit('G3', 'perhaps');
  uc.edit('H3', '31/11/2026');
  const result = addon.run.validateInputs();
  assert.deepEqual(plain(result.problems.map((p) => `${p.tab}!${p.cell}`)), ['Use cases!E2', 'Use cases!G3', 'Use cases!H3']);
  assert.equal(uc.cell('G3').background, MARK);
  const alert = addon.ui.alerts.at(-1);
  assert.equal(alert.title, 'AI FinOps: validate inputs');
  assert.match(alert.message, /^3 cells the sync cannot use are marked in red with a note/);
  assert.match(alert.message, /- Use cases!G3: 'perhaps' is not yes or no/);
  assert.match(alert.message, /Missing tabs \(the sync keeps their last good rows\): Mappings, Pool allocations, Expected totals, Benchmarks, Model prices\./);
  uc.edit('E2', '5%'); uc.edit('G3', 'yes'); uc.edit('H3', '2026-11-30');
  addon.run.validateInputs();
  assert.match(addon.ui.alerts.at(-1).message, /^Every input tab reads cleanly/);
  assert.equal(uc.cell('G3').background, WHITE);
});
