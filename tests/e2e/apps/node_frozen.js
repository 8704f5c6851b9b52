// A node HTTP server for loops found stuck and for node's sync child calls.
// argv: PORT. GET /spin burns the CPU for 60 s; /exec, /spawn, /execfile run `sleep 1` through
// child_process.execSync, spawnSync and execFileSync (libuv waits for the child in a loop of its own).
const http = require('http');
const cp = require('child_process');

function crunchNumbers() {
  const end = Date.now() + 60000;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x;
}

function renderReport() { return cp.execSync('sleep 1'); }

// Two phases on the CPU: 0.4 s, then 1.2 s, of JavaScript.
function phaseA() {
  const end = Date.now() + 400;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x;
}
function phaseB() {
  const end = Date.now() + 1200;
  let x = 0;
  while (Date.now() < end) x += Math.cbrt(x + 2);
  return x;
}
function twoPhases() { phaseA(); phaseB(); }
function convertImage() { return cp.spawnSync('sleep', ['1']); }
function runMigration() { return cp.execFileSync('sleep', ['1']); }

const routes = {'/spin': crunchNumbers, '/exec': renderReport, '/spawn': convertImage, '/execfile': runMigration,
                '/twophase': twoPhases};

http.createServer((req, res) => {
  const route = routes[req.url];
  if (route) route();
  res.end('done\n');
}).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
