'use strict';
/** stdin: [{kind, value, choices}] as JSON; stdout: [{ok, reason}] as the add-on reads each (Cells.gs). */
const {loadAddon, plain} = require('../test/fakes');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const {run} = loadAddon();
  const out = JSON.parse(input).map((s) => plain(run.finopsRead(s.kind, s.value, s.choices || [])));
  process.stdout.write(JSON.stringify(out));
});
