'use strict';
/**
 * One HTTP request, read as JSON from stdin ({url, method, headers, payload, contentType, timeoutMs}),
 * answered as JSON on stdout ({status, headers, body} or {error}). The tests' UrlFetchApp fake runs it
 * per request to make a real, synchronous request (as UrlFetchApp.fetch is); the request arrives on
 * stdin so the token never appears on a command line.
 */
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
  let answer;
  try {
    const request = JSON.parse(input);
    const headers = {...(request.headers || {})};
    if (request.contentType) headers['Content-Type'] = request.contentType;
    const response = await fetch(request.url, {
      method: request.method, headers, body: request.payload === null ? undefined : request.payload,
      redirect: 'manual', signal: AbortSignal.timeout(request.timeoutMs || 30000),
    });
    answer = {status: response.status, headers: Object.fromEntries(response.headers), body: await response.text()};
  } catch (err) {
    const timedOut = err && (err.name === 'TimeoutError' || err.name === 'AbortError');
    // What UrlFetchApp says, without the request (headers hold the token).
    answer = {error: timedOut ? 'Timeout: the request took too long' : `Address unavailable: ${err && err.cause ? err.cause.code || err.cause.message : err}`};
  }
  process.stdout.write(JSON.stringify(answer));
});
