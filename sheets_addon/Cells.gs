/**
 * Reading one cell as the sync reads it: chalicelib/sheet/cells.py, function by function, with
 * the constants generated into Rules.gs (FINOPS_RULES). A value arrives as Apps Script's
 * Range.getValue() gives it: a number (a percent cell as its fraction), a string, a boolean
 * (a checkbox) or a Date (a date cell; the sync reads the same cell as a serial day number).
 *
 * finopsRead(kind, value, choices) returns {ok: true, value} or {ok: false, reason}; the reasons
 * are cells.py's CellError messages.
 */

var FINOPS_SHEETS_EPOCH_UTC = Date.UTC(1899, 11, 30);

function FinopsCellError(reason) {
  this.reason = reason;
}

function finopsCellError_(reason) {
  return new FinopsCellError(reason);
}

function finopsRe_(name, flags) {
  return new RegExp(FINOPS_RULES.patterns[name], flags || '');
}

/** Python's repr() of a str, as CellError messages show it. */
function finopsRepr_(text) {
  var s = String(text);
  var quote = s.indexOf("'") >= 0 && s.indexOf('"') < 0 ? '"' : "'";
  s = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
  if (quote === "'") s = s.replace(/'/g, "\\'");
  return quote + s + quote;
}

/** Python's str.strip() (Unicode whitespace). */
function finopsStrip_(s) {
  return String(s).replace(/^[\s\u001c-\u001f\u0085]+|[\s\u001c-\u001f\u0085]+$/g, '');
}

function finopsIsNumber_(value) {
  return typeof value === 'number';
}

/** A Date (a date-formatted cell) as the serial number the sync receives for it. */
function finopsSerial_(date) {
  var local = Date.UTC(date.getFullYear(), date.getMonth(), date.getDate(), date.getHours(),
                       date.getMinutes(), date.getSeconds(), date.getMilliseconds());
  return (local - FINOPS_SHEETS_EPOCH_UTC) / 86400000;
}

/** cells.is_blank */
function finopsIsBlank(value) {
  return value === null || value === undefined || (typeof value === 'string' && finopsStrip_(value) === '');
}

function finopsNormalise_(value) {
  if (value instanceof Date || Object.prototype.toString.call(value) === '[object Date]') {
    return finopsSerial_(value);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// numbers

/** Python's Decimal(text) grammar (Decimal drops every underscore first: "1_000", even "12_"). */
var FINOPS_DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
var FINOPS_DECIMAL_SPECIAL_RE = /^[+-]?(?:inf|infinity|s?nan\d*)$/i;

/** Decimal(text): a JS number, null for a value that is not finite, or throws (InvalidOperation). */
function finopsDecimal_(text) {
  var t = String(text).replace(/_/g, '');
  if (FINOPS_DECIMAL_RE.test(t)) return Number(t);
  if (FINOPS_DECIMAL_SPECIAL_RE.test(t)) return null;
  throw 'InvalidOperation';
}

/** cells.number: any number a person may type (sign kept). */
function finopsNumber(value) {
  if (typeof value === 'boolean') throw finopsCellError_('expected a number, got yes/no');
  if (finopsIsNumber_(value)) {
    if (!isFinite(value)) throw finopsCellError_('not a finite number');
    return value;
  }
  var original = finopsStrip_(String(value));
  var text = original;
  if (!text) throw finopsCellError_('empty');
  var negative = false;
  if (text.charAt(0) === '(' && text.charAt(text.length - 1) === ')') {
    negative = true;
    text = finopsStrip_(text.slice(1, -1));
  }
  if (text.charAt(0) === '-') {
    negative = !negative;
    text = finopsStrip_(text.slice(1));
  }
  var percent = text.charAt(text.length - 1) === '%';
  if (percent) text = finopsStrip_(text.slice(0, -1));
  text = text.replace(new RegExp(FINOPS_RULES.patterns.currency, FINOPS_RULES.patterns.currencyFlags + 'g'), '');
  if (text.charAt(0) === '-') {
    negative = !negative;
    text = text.slice(1);
  }
  text = text.replace(finopsRe_('spaces', 'g'), '');
  text = finopsSeparators_(text);
  var result;
  try {
    result = finopsDecimal_(text);
  } catch (e) {
    throw finopsCellError_(finopsRepr_(original) + ' is not a number');
  }
  if (result === null) throw finopsCellError_('not a finite number');
  if (percent) result = result / 100;
  return negative ? -result : result;
}

function finopsSeparators_(text) {
  var comma = text.lastIndexOf(','), dot = text.lastIndexOf('.');
  var groups, i, all3;
  if (comma >= 0 && dot >= 0) {
    if (comma > dot) return text.replace(/\./g, '').replace(/,/g, '.');
    return text.replace(/,/g, '');
  }
  if (comma >= 0) {
    groups = text.split(',');
    if (groups.length > 2 || (groups[groups.length - 1].length === 3 && groups[0] !== '' && groups[0] !== '0')) {
      all3 = true;
      for (i = 1; i < groups.length; i++) if (groups[i].length !== 3) all3 = false;
      if (all3) return text.replace(/,/g, '');
    }
    if (groups.length === 2) return text.replace(/,/g, '.');
    throw finopsCellError_(finopsRepr_(text) + ' is not a number');
  }
  if (dot >= 0) {
    groups = text.split('.');
    all3 = true;
    for (i = 1; i < groups.length; i++) if (groups[i].length !== 3) all3 = false;
    if (groups.length > 2 && all3) return text.replace(/\./g, '');
    var head = groups[0].replace(/^[+-]+/, '');
    if (groups.length === 2 && groups[1].length === 3 && head !== '' && head !== '0') {
      throw finopsCellError_(finopsRepr_(text) + ' is ambiguous: type 1200, 1,200 or 1.2 (a decimal point ' +
                             'followed by exactly three digits could be a thousands separator)');
    }
  }
  return text;
}

function finopsIsPercentText_(value) {
  return typeof value === 'string' && finopsStrip_(value).slice(-1) === '%';
}

function finopsMoney(value) {
  var amount = finopsNumber(value);
  if (finopsIsPercentText_(value)) throw finopsCellError_('expected an amount, got a percentage');
  if (amount < 0) throw finopsCellError_('must be 0 or more');
  return amount;
}

function finopsNonNegative(value) {
  var amount = finopsNumber(value);
  if (amount < 0) throw finopsCellError_('must be 0 or more');
  return amount;
}

function finopsFraction(value) {
  var share = finopsNumber(value);
  if (share < 0) throw finopsCellError_('must be 0 % or more');
  if (share > 1 && !finopsIsPercentText_(value)) share = share / 100;
  if (share > 10) throw finopsCellError_('more than 1000 %: check the value');
  return share;
}

function finopsInteger(value) {
  var n = finopsNumber(value);
  if (n !== Math.floor(n)) throw finopsCellError_('must be a whole number');
  if (n < 1) throw finopsCellError_('must be 1 or more');
  return n;
}

function finopsPercents(value) {
  if (finopsIsNumber_(value)) {
    var n = finopsNumber(value);
    if (n < 0) throw finopsCellError_('percentages must be 0 or more');
    return [n > 0 && n <= 1 ? n * 100 : n];
  }
  var parts = finopsStrip_(String(finopsText_(value, true))).split(finopsRe_('percentsSplit'));
  var out = [];
  for (var i = 0; i < parts.length; i++) {
    var part = parts[i];
    if (!part) continue;
    var raw = part.replace(/%+$/, '');
    var p;
    try {
      p = finopsDecimal_(raw);
    } catch (e) {
      throw finopsCellError_(finopsRepr_(part) + ' is not a percentage');
    }
    if (p === null || p < 0) throw finopsCellError_('percentages must be 0 or more');
    out.push(p);
  }
  if (!out.length) throw finopsCellError_('empty');
  return out;
}

// ---------------------------------------------------------------------------------------------
// text, ids, choices

/** str(value) as Python shows it (True, 12 for 12.0). */
function finopsText_(value, raw) {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null || value === undefined) return 'None';
  return raw ? String(value) : finopsStrip_(String(value));
}

function finopsText(value) {
  var out = finopsText_(value);
  if (out.length > FINOPS_RULES.limits.maxText) {
    throw finopsCellError_('longer than ' + FINOPS_RULES.limits.maxText + ' characters');
  }
  return out;
}

function finopsIdent(value) {
  var out = finopsText(value);
  if (!out) throw finopsCellError_('empty');
  if (out.length > FINOPS_RULES.limits.maxId) {
    throw finopsCellError_('longer than ' + FINOPS_RULES.limits.maxId + ' characters');
  }
  if (!finopsRe_('id').test(out)) throw finopsCellError_('an id has no spaces: use letters, digits and - _ . :');
  return out;
}

function finopsSplitWords_(text) {
  return text.split(/\s+/).filter(function (w) { return w; }).join(' ');
}

function finopsKey(value) {
  var out = finopsSplitWords_(finopsText(value));
  if (!out) throw finopsCellError_('empty');
  if (out.length > FINOPS_RULES.limits.maxKey) {
    throw finopsCellError_('longer than ' + FINOPS_RULES.limits.maxKey + ' characters');
  }
  return out;
}

function finopsIds(value) {
  var parts = finopsText(value).split(finopsRe_('idsSplit')).map(finopsStrip_)
    .filter(function (p) { return p; });
  if (!parts.length) throw finopsCellError_('empty');
  return parts.map(finopsIdent);
}

function finopsEmail(value) {
  var out = finopsText(value);
  if (!finopsRe_('email').test(out)) throw finopsCellError_(finopsRepr_(out) + ' is not an email address');
  return out.toLowerCase();
}

function finopsEmails(value) {
  return finopsText(value).split(finopsRe_('emailsSplit')).map(finopsStrip_)
    .filter(function (p) { return p; }).map(finopsEmail);
}

function finopsChoice(value, choices) {
  var raw = finopsSplitWords_(finopsText(value));
  var low = raw.toLowerCase();
  for (var i = 0; i < choices.length; i++) {
    if (low === String(choices[i]).toLowerCase()) return choices[i];
  }
  var alias = Object.prototype.hasOwnProperty.call(FINOPS_RULES.choiceAliases, low) ?
    FINOPS_RULES.choiceAliases[low] : null;
  if (alias !== null && choices.indexOf(alias) >= 0) return alias;
  throw finopsCellError_(finopsRepr_(raw) + ' is not one of ' + choices.join(', '));
}

function finopsYesNo(value) {
  if (typeof value === 'boolean') return value;
  if (finopsIsNumber_(value) && (value === 0 || value === 1)) return value === 1;
  var low = finopsText(value).toLowerCase();
  if (FINOPS_RULES.trueWords.indexOf(low) >= 0) return true;
  if (FINOPS_RULES.falseWords.indexOf(low) >= 0) return false;
  throw finopsCellError_(finopsRepr_(finopsText(value)) + ' is not yes or no');
}

function finopsCurrency(value) {
  var out = finopsText(value).toUpperCase();
  if (!finopsRe_('currencyCode').test(out)) throw finopsCellError_('a currency is a 3-letter ISO code such as USD');
  return out;
}

// ---------------------------------------------------------------------------------------------
// dates

function finopsSerialToDate_(serial) {
  var n = finopsNumber(serial);
  if (n < 1 || n > FINOPS_RULES.limits.maxSerial) throw finopsCellError_('not a date');
  var d = new Date(FINOPS_SHEETS_EPOCH_UTC + Math.trunc(n) * 86400000);
  return {y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate()};
}

function finopsMonthOf_(name) {
  var low = String(name).toLowerCase();
  var i = FINOPS_RULES.monthNames.short.indexOf(low);
  if (i < 0) i = FINOPS_RULES.monthNames.long.indexOf(low);
  return i + 1;
}

/** datetime.strptime(text, fmt) with the generated regular expression: a {y, m, d} or null. */
function finopsStrptime_(text, spec) {
  var found = new RegExp(spec.regex, 'i').exec(text);
  if (!found) return null;
  var g = found.groups || {};
  var y = Number(g.Y);
  var m = g.m !== undefined ? Number(g.m) : (g.b !== undefined ? finopsMonthOf_(g.b) :
                                            (g.B !== undefined ? finopsMonthOf_(g.B) : 1));
  var d = g.d !== undefined ? Number(finopsStrip_(g.d)) : 1;
  if (y < 1 || m < 1 || m > 12) return null;
  var probe = new Date(Date.UTC(2000, m - 1, d));
  probe.setUTCFullYear(y);
  if (probe.getUTCMonth() !== m - 1 || probe.getUTCDate() !== d) return null;  // 30 February
  return {y: y, m: m, d: d};
}

function finopsDay(value) {
  if (finopsIsNumber_(value)) return finopsSerialToDate_(value);
  var raw = finopsText(value);
  var candidate = finopsRe_('dateTimePrefix').test(raw) ? raw.slice(0, 10) : raw;
  var formats = FINOPS_RULES.dateFormats;
  for (var i = 0; i < formats.length; i++) {
    var got = finopsStrptime_(candidate, formats[i]);
    if (got) return got;
  }
  throw finopsCellError_(finopsRepr_(raw) + ' is not a date: write it as YYYY-MM-DD');
}

function finopsPad_(n, width) {
  var s = String(n);
  while (s.length < width) s = '0' + s;
  return s;
}

function finopsMonth(value) {
  var d;
  if (finopsIsNumber_(value)) {
    d = finopsSerialToDate_(value);
    return finopsPad_(d.y, 4) + '-' + finopsPad_(d.m, 2);
  }
  var raw = finopsText(value);
  if (finopsRe_('month').test(raw)) return raw;
  var loose = finopsRe_('monthLoose').exec(raw);
  if (loose && Number(loose[2]) >= 1 && Number(loose[2]) <= 12) {
    return finopsPad_(Number(loose[1]), 4) + '-' + finopsPad_(Number(loose[2]), 2);
  }
  var formats = FINOPS_RULES.monthFormats;
  for (var i = 0; i < formats.length; i++) {
    var got = finopsStrptime_(raw, formats[i]);
    if (got) return finopsPad_(got.y, 4) + '-' + finopsPad_(got.m, 2);
  }
  try {
    d = finopsDay(raw);
  } catch (e) {
    if (e instanceof FinopsCellError) throw finopsCellError_(finopsRepr_(raw) + ' is not a month: write it as YYYY-MM');
    throw e;
  }
  return finopsPad_(d.y, 4) + '-' + finopsPad_(d.m, 2);
}

// ---------------------------------------------------------------------------------------------

var FINOPS_READERS = {
  text: finopsText, id: finopsIdent, key: finopsKey, money: finopsMoney, cpu: finopsMoney,
  number: finopsNonNegative, fraction: finopsFraction, integer: finopsInteger, date: finopsDay,
  month: finopsMonth, bool: finopsYesNo, email: finopsEmail, emails: finopsEmails, ids: finopsIds,
  percents: finopsPercents, currency: finopsCurrency
};

/** cells.read for a non-blank cell: {ok: true, value} or {ok: false, reason}. */
function finopsRead(kind, value, choices) {
  value = finopsNormalise_(value);
  try {
    if (kind === 'choice') return {ok: true, value: finopsChoice(value, choices || [])};
    var reader = FINOPS_READERS[kind];
    if (!reader) throw new Error('unknown column kind ' + kind);
    return {ok: true, value: reader(value)};
  } catch (e) {
    if (e instanceof FinopsCellError) return {ok: false, reason: e.reason};
    throw e;
  }
}
