// A Node.js http server whose handlers call the Sync APIs the hint tests name:
//   /exec   child_process.execSync('sleep 0.6'), in runCleanup
//   /parse  JSON.parse of a 40 MB document, in loadCatalog
//   /read   fs.readFileSync of a FIFO the test writes to later, in readConfig
//   /wait   Atomics.wait 600 ms for a worker that never notifies, in waitForWorker
//   /gzip   zlib.gzipSync of 48 MB, in compressReport
//   /alloc  Buffer.alloc of 384 MB filled with 1s, in makeArena
'use strict';
const http = require('http');
const fs = require('fs');
const zlib = require('zlib');
const { execSync } = require('child_process');

const port = Number(process.argv[2]);
const fifo = process.argv[3];
const doc = JSON.stringify(Array.from({ length: 400000 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'] })));

function runCleanup() {
  return execSync('sleep 0.6');
}

function loadCatalog() {
  return JSON.parse(doc).length + JSON.parse(doc).length;
}

function readConfig() {
  return fs.readFileSync(fifo);
}

const flag = new Int32Array(new SharedArrayBuffer(4));

function waitForWorker() {
  return Atomics.wait(flag, 0, 0, 600);
}

const report = Buffer.from(doc.repeat(2));

function compressReport() {
  return zlib.gzipSync(report, { level: 9 });
}

function makeArena() {
  return Buffer.alloc(384 << 20, 1);
}

http.createServer((req, res) => {
  let body = 'ok';
  if (req.url === '/exec') runCleanup();
  else if (req.url === '/parse') body = String(loadCatalog());
  else if (req.url === '/read') body = String(readConfig().length);
  else if (req.url === '/wait') body = waitForWorker();
  else if (req.url === '/gzip') body = String(compressReport().length);
  else if (req.url === '/alloc') body = String(makeArena().length);
  res.end(body);
}).listen(port, '127.0.0.1', () => console.log('ready'));
