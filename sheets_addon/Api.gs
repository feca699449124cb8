/**
 * The AI FinOps API from the sheet: the URL and the sheet token live in Script Properties (never
 * in a cell), every call sends `Authorization: Bearer <token>`, and every failure becomes one plain
 * sentence (FinopsApiError.message): no stack trace, never the token.
 */

var FINOPS_PROP_URL = 'FINOPS_API_URL';
var FINOPS_PROP_TOKEN = 'FINOPS_SHEET_TOKEN';
var FINOPS_PROP_LAST_RUN = 'FINOPS_LAST_RUN_ID';

function FinopsApiError(message, status) {
  this.name = 'FinopsApiError';
  this.message = message;
  this.status = status || 0;
}
FinopsApiError.prototype = Object.create(Error.prototype);
FinopsApiError.prototype.constructor = FinopsApiError;

function finopsProps_() {
  return PropertiesService.getScriptProperties();
}

function finopsConfig_() {
  var props = finopsProps_();
  return {url: props.getProperty(FINOPS_PROP_URL) || '', token: props.getProperty(FINOPS_PROP_TOKEN) || ''};
}

/** What the Settings dialog shows: the URL, and only whether a token is stored. */
function getSettings() {
  var config = finopsConfig_();
  return {apiUrl: config.url, tokenStored: !!config.token};
}

/** The Settings dialog's Save: {apiUrl, token} (a blank token keeps the stored one). */
function saveSettings(form) {
  form = form || {};
  var url = String(form.apiUrl || '').trim().replace(/\/+$/, '');
  var token = String(form.token || '').trim();
  if (!/^https:\/\/[^\s\/]+/i.test(url) && !/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?(\/|$)/i.test(url)) {
    throw new Error('The API URL must start with https:// (for example https://abc123.execute-api.' +
                    'eu-west-1.amazonaws.com/api).');
  }
  if (token && /\s/.test(token)) throw new Error('The sheet token has no spaces: paste it exactly as printed.');
  var props = finopsProps_();
  var values = {};
  values[FINOPS_PROP_URL] = url;
  if (token) values[FINOPS_PROP_TOKEN] = token;
  else if (!props.getProperty(FINOPS_PROP_TOKEN)) {
    throw new Error('Paste the sheet token (an administrator creates one with ' +
                    '`python -m chalicelib.cli tokens create --scope sheet`).');
  }
  props.setProperties(values);
  return 'Saved. The API URL is ' + url + '; the sheet token is stored in this script\'s properties, not in ' +
    'the sheet.';
}

/** Removes the token from any text (an exception's message may quote a request). */
function finopsRedact_(text, token) {
  var s = String(text === null || text === undefined ? '' : text);
  if (token) s = s.split(token).join('[token]');
  return s.replace(/Bearer\s+\S+/gi, 'Bearer [token]');
}

function finopsServerMessage_(response) {
  try {
    var body = JSON.parse(response.getContentText());
    if (body && body.error && typeof body.error.message === 'string') return body.error.message;
  } catch (e) { /* not JSON: an HTML error page or a proxy's answer, not shown */ }
  return '';
}

/** The sentence for an HTTP error status. */
function finopsStatusSentence(status, serverMessage, what) {
  var detail = serverMessage ? ' (the API said: ' + String(serverMessage).slice(0, 200) + ')' : '';
  if (status === 401) {
    return 'The API did not accept the sheet token: it is missing, mistyped or revoked. Open AI FinOps > Settings ' +
      'and paste a current sheet token (an administrator creates one with ' +
      '`python -m chalicelib.cli tokens create --scope sheet`).';
  }
  if (status === 403) {
    return 'The token in Settings is not allowed to ' + what + ': it must be a sheet token (a team token cannot ' +
      'do this). Open AI FinOps > Settings and paste a sheet token.';
  }
  if (status === 404) return 'The API does not know this address (404): check the API URL in AI FinOps > Settings.' +
    detail;
  if (status === 429) return 'The API is busy right now (429): try again in a minute.';
  if (status === 503) return 'The AI FinOps service is unavailable right now (503)' + detail + '. Nothing was ' +
    'changed: try again in a few minutes.';
  if (status === 504) return 'The AI FinOps API took too long to answer (504). Try again in a few minutes.';
  if (status >= 500) return 'The AI FinOps API had an internal problem (HTTP ' + status + ')' + detail +
    '. Try again in a few minutes; if it keeps happening, tell whoever runs AI FinOps.';
  return 'The API refused the request (HTTP ' + status + ')' + detail + '.';
}

/** The sentence for a request that got no answer (UrlFetchApp threw). */
function finopsFetchFailureSentence(error, url) {
  var text = String(error && error.message ? error.message : error);
  var host = String(url).replace(/^[a-z]+:\/\//i, '').split('/')[0];
  if (/timed? ?out|timeout|deadline/i.test(text)) {
    return 'The AI FinOps API at ' + host + ' did not answer in time. It may be busy or unreachable: try again in ' +
      'a few minutes.';
  }
  return 'Could not reach the AI FinOps API at ' + host + '. Check the API URL in AI FinOps > Settings and your ' +
    'connection, then try again.';
}

/**
 * One API call: the parsed JSON answer, or throws FinopsApiError with a plain sentence.
 * `what` names the action for a 403 ("refresh the sheet").
 */
function finopsApi_(method, path, body, what) {
  var config = finopsConfig_();
  if (!config.url || !config.token) {
    throw new FinopsApiError('AI FinOps is not set up yet: open AI FinOps > Settings and enter the API URL and ' +
                             'the sheet token.');
  }
  var url = config.url + path;
  var options = {
    method: method,
    headers: {Authorization: 'Bearer ' + config.token, Accept: 'application/json'},
    muteHttpExceptions: true,
    followRedirects: false
  };
  if (body !== undefined && body !== null) {
    options.contentType = 'application/json';
    options.payload = JSON.stringify(body);
  }
  var response;
  try {
    response = UrlFetchApp.fetch(url, options);
  } catch (err) {
    throw new FinopsApiError(finopsRedact_(finopsFetchFailureSentence(err, url), config.token));
  }
  var status = response.getResponseCode();
  if (status >= 200 && status < 300) {
    try {
      return JSON.parse(response.getContentText());
    } catch (e) {
      throw new FinopsApiError('The API answered with something that is not AI FinOps data: check the API URL in ' +
                               'AI FinOps > Settings.', status);
    }
  }
  throw new FinopsApiError(finopsRedact_(finopsStatusSentence(status, finopsServerMessage_(response),
                                                              what || 'do this'), config.token), status);
}

/** The sentence to show for any error (an unexpected one is named, not traced). */
function finopsErrorSentence(err) {
  if (err instanceof FinopsApiError) return err.message;
  var config = finopsConfig_();
  return finopsRedact_('Something went wrong in the add-on: ' + (err && err.message ? err.message : err) + '.',
                       config.token);
}
