'use strict';
/**
 * Small hand-written fakes of the Apps Script services the add-on uses, and a loader that runs
 * the add-on's .gs files in a `vm` context with them (no npm packages).
 *
 *   const addon = loadAddon({sheets: {'Teams': [[header...], [row...]]}, fetch: (url, options) => ({status, body})});
 *   addon.run.refreshNow();  addon.ui.alerts;  addon.book.toasts;  addon.fetches;  addon.logs
 *
 * `fetch: 'real'` performs real HTTP (synchronously, as UrlFetchApp does: a child process per request),
 * and Utilities.sleep then really sleeps.
 */
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const {execFileSync} = require('node:child_process');

const ADDON_DIR = path.resolve(__dirname, '..');
const WHITE = '#ffffff';

class FakeRange {
  constructor(sheet, row, col, numRows, numCols) {
    Object.assign(this, {sheet, row, col, numRows, numCols});
  }
  _grid(fn) {
    const out = [];
    for (let r = 0; r < this.numRows; r++) {
      const line = [];
      for (let c = 0; c < this.numCols; c++) line.push(fn(this.row - 1 + r, this.col - 1 + c));
      out.push(line);
    }
    return out;
  }
  _each(fn) {
    for (let r = 0; r < this.numRows; r++) for (let c = 0; c < this.numCols; c++) fn(this.row - 1 + r, this.col - 1 + c);
  }
  getSheet() { return this.sheet; }
  getRow() { return this.row; }
  getColumn() { return this.col; }
  getNumRows() { return this.numRows; }
  getNumColumns() { return this.numCols; }
  getA1Notation() {
    let letters = '';
    let n = this.col;
    while (n) { const rem = (n - 1) % 26; letters = String.fromCharCode(65 + rem) + letters; n = Math.floor((n - 1) / 26); }
    return letters + this.row;
  }
  getValues() { return this._grid((r, c) => this.sheet._value(r, c)); }
  getValue() { return this.sheet._value(this.row - 1, this.col - 1); }
  getNotes() { return this._grid((r, c) => this.sheet.notes.get(`${r}:${c}`) || ''); }
  getNote() { return this.sheet.notes.get(`${this.row - 1}:${this.col - 1}`) || ''; }
  getBackgrounds() { return this._grid((r, c) => this.sheet.backgrounds.get(`${r}:${c}`) || WHITE); }
  getBackground() { return this.sheet.backgrounds.get(`${this.row - 1}:${this.col - 1}`) || WHITE; }
  setNote(note) {
    this.sheet.writes.push(['note', this.getA1Notation(), note]);
    this._each((r, c) => (note ? this.sheet.notes.set(`${r}:${c}`, String(note)) : this.sheet.notes.delete(`${r}:${c}`)));
    return this;
  }
  setBackground(colour) {
    this.sheet.writes.push(['background', this.getA1Notation(), colour]);
    this._each((r, c) => (colour ? this.sheet.backgrounds.set(`${r}:${c}`, String(colour).toLowerCase())
      : this.sheet.backgrounds.delete(`${r}:${c}`)));
    return this;
  }
  setValue(value) {
    this._each((r, c) => this.sheet._set(r, c, value));
    return this;
  }
}

class FakeSheet {
  constructor(name, values) {
    this.name = name;
    this.values = (values || []).map((row) => row.slice());
    this.notes = new Map();
    this.backgrounds = new Map();
    this.writes = [];
  }
  getName() { return this.name; }
  _value(r, c) {
    const row = this.values[r] || [];
    return row[c] === undefined || row[c] === null ? '' : row[c];
  }
  _set(r, c, v) {
    while (this.values.length <= r) this.values.push([]);
    this.values[r][c] = v;
  }
  getLastRow() {
    for (let r = this.values.length; r > 0; r--) if ((this.values[r - 1] || []).some((v) => v !== '' && v != null)) return r;
    return 0;
  }
  getLastColumn() {
    let last = 0;
    this.values.forEach((row) => row.forEach((v, c) => { if (v !== '' && v != null) last = Math.max(last, c + 1); }));
    return last;
  }
  getDataRange() { return new FakeRange(this, 1, 1, Math.max(1, this.getLastRow()), Math.max(1, this.getLastColumn())); }
  getRange(row, col, numRows, numCols) { return new FakeRange(this, row, col, numRows || 1, numCols || 1); }
  /** A cell as A1 for tests: {value, note, background}. */
  cell(a1) {
    const m = /^([A-Z]+)(\d+)$/.exec(a1);
    let col = 0;
    for (const ch of m[1]) col = col * 26 + (ch.charCodeAt(0) - 64);
    const r = Number(m[2]) - 1;
    const c = col - 1;
    return {value: this._value(r, c), note: this.notes.get(`${r}:${c}`) || '',
            background: this.backgrounds.get(`${r}:${c}`) || WHITE};
  }
  edit(a1, value) {
    const m = /^([A-Z]+)(\d+)$/.exec(a1);
    let col = 0;
    for (const ch of m[1]) col = col * 26 + (ch.charCodeAt(0) - 64);
    const range = this.getRange(Number(m[2]), col);
    range.setValue(value);
    return {range, value, source: null};
  }
}

class FakeBook {
  constructor(sheets) {
    this.sheets = Object.entries(sheets || {}).map(([name, values]) => new FakeSheet(name, values));
    this.toasts = [];
  }
  getSheetByName(name) { return this.sheets.find((s) => s.name === name) || null; }
  getSheets() { return this.sheets.slice(); }
  toast(message, title, timeout) { this.toasts.push({message: String(message), title, timeout}); }
}

class FakeUi {
  constructor() {
    this.menus = [];
    this.alerts = [];
    this.sidebars = [];
    this.dialogs = [];
    this.ButtonSet = {OK: 'OK', OK_CANCEL: 'OK_CANCEL', YES_NO: 'YES_NO'};
    this.Button = {OK: 'OK'};
  }
  createMenu(name) {
    const menu = {name, items: [], added: false};
    const builder = {
      addItem: (caption, fn) => { menu.items.push({caption, fn}); return builder; },
      addSeparator: () => { menu.items.push(null); return builder; },
      addToUi: () => { menu.added = true; this.menus.push(menu); },
    };
    return builder;
  }
  createAddonMenu() { return this.createMenu('(add-on)'); }
  alert(title, message, buttons) {
    this.alerts.push(message === undefined ? {title: '', message: String(title)} : {title, message, buttons});
    return 'OK';
  }
  showSidebar(html) { this.sidebars.push(html); }
  showModalDialog(html, title) { this.dialogs.push({html, title}); }
}

class FakeHtmlOutput {
  constructor(content) { this.content = content; this.title = ''; this.width = null; this.height = null; }
  getContent() { return this.content; }
  setTitle(t) { this.title = t; return this; }
  getTitle() { return this.title; }
  setWidth(w) { this.width = w; return this; }
  setHeight(h) { this.height = h; return this; }
}

class FakeProperties {
  constructor(initial) { this.map = new Map(Object.entries(initial || {})); }
  getProperty(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setProperty(k, v) { this.map.set(k, String(v)); return this; }
  setProperties(obj) { Object.entries(obj).forEach(([k, v]) => this.map.set(k, String(v))); return this; }
  deleteProperty(k) { this.map.delete(k); return this; }
  getProperties() { return Object.fromEntries(this.map); }
}

class FakeResponse {
  constructor(status, body, headers) { this.status = status; this.body = body; this.headers = headers || {}; }
  getResponseCode() { return this.status; }
  getContentText() { return typeof this.body === 'string' ? this.body : JSON.stringify(this.body); }
  getHeaders() { return this.headers; }
}

/** UrlFetchApp.fetch over real HTTP, synchronously: one child process per request (tools/http_once.js). */
function realFetch(url, options) {
  const request = {url, method: (options.method || 'get').toUpperCase(), headers: options.headers || {},
                   payload: options.payload === undefined ? null : options.payload, contentType: options.contentType,
                   timeoutMs: 30000};
  // The request (with its Authorization header) goes through stdin, never the command line.
  const out = execFileSync(process.execPath, [path.join(ADDON_DIR, 'tools', 'http_once.js')],
                           {input: JSON.stringify(request), encoding: 'utf8', timeout: 60000});
  const answer = JSON.parse(out);
  if (answer.error) throw new Error(answer.error);
  return new FakeResponse(answer.status, answer.body, answer.headers);
}

function sleepReally(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Load the add-on. Options: sheets ({title: rows}), fetch (function(url, options) -> {status, body} |
 * throws, or 'real'), scriptProperties ({...}), onSleep (called with ms, e.g. to move a fake run on).
 */
function loadAddon(options) {
  options = options || {};
  const book = new FakeBook(options.sheets);
  const ui = new FakeUi();
  const scriptProps = new FakeProperties(options.scriptProperties);
  const fetches = [];
  const logs = [];
  const sleeps = [];
  const log = (level) => (...args) => logs.push({level, text: args.map(String).join(' ')});
  const fetch = options.fetch === 'real' ? realFetch : (url, opts) => {
    const answer = options.fetch ? options.fetch(url, opts) : {status: 404, body: {error: {status: 404, message: 'no fake'}}};
    return new FakeResponse(answer.status, answer.body, answer.headers);
  };
  const context = {
    SpreadsheetApp: {getActiveSpreadsheet: () => book, getActive: () => book, getUi: () => ui},
    UrlFetchApp: {fetch: (url, opts) => { fetches.push({url, options: JSON.parse(JSON.stringify(opts))}); return fetch(url, opts); }},
    PropertiesService: {getScriptProperties: () => scriptProps, getDocumentProperties: () => scriptProps,
                        getUserProperties: () => scriptProps},
    HtmlService: {
      createHtmlOutput: (html) => new FakeHtmlOutput(String(html || '')),
      createHtmlOutputFromFile: (name) => new FakeHtmlOutput(fs.readFileSync(path.join(ADDON_DIR, `${name}.html`), 'utf8')),
    },
    Utilities: {sleep: (ms) => { sleeps.push(ms); if (options.onSleep) options.onSleep(ms); if (options.fetch === 'real') sleepReally(ms); }},
    Logger: {log: log('Logger')},
    console: {log: log('log'), info: log('info'), warn: log('warn'), error: log('error')},
    Date, JSON, Math, RegExp, String, Number, Object, Array, Error, encodeURIComponent, isFinite, parseInt,
  };
  vm.createContext(context);
  const files = fs.readdirSync(ADDON_DIR).filter((f) => f.endsWith('.gs')).sort((a, b) =>
    (a === 'Rules.gs' ? -1 : b === 'Rules.gs' ? 1 : a.localeCompare(b)));
  for (const file of files) {
    vm.runInContext(fs.readFileSync(path.join(ADDON_DIR, file), 'utf8'), context, {filename: file});
  }
  return {run: context, context, book, ui, scriptProps, fetches, logs, sleeps, files};
}

/** A JSON-safe copy of a value made in the vm context (other realm: deepStrictEqual needs plain objects). */
function plain(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

module.exports = {loadAddon, plain, FakeSheet, FakeBook, ADDON_DIR, WHITE};
