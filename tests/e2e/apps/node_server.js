// A Node.js http server whose handlers block the event loop on request.
//   /fifo    fs.readFileSync on a FIFO that a writer fills FIFO_DELAY_MS later
//   /pbkdf2  crypto.pbkdf2Sync with many iterations (CPU)
//   /        answers at once
'use strict';
const http = require('http');
const fs = require('fs');
const crypto = require('crypto');
const { spawn } = require('child_process');

const port = Number(process.argv[2]);
const fifo = process.argv[3];
const FIFO_DELAY_MS = 800;

function readFifoSlowly() {
  // The writer is another process: it opens the FIFO at once and writes after a delay,
  // so the loop blocks in read(2), not in open(2).
  spawn('/bin/sh', ['-c', `exec 3>"$1"; sleep ${FIFO_DELAY_MS / 1000}; echo data >&3`, 'sh', fifo],
        { stdio: 'ignore' });
  return fs.readFileSync(fifo);
}

function hashPasswordSlowly() {
  return crypto.pbkdf2Sync('secret', 'salt', 600000, 64, 'sha512');
}

http.createServer((req, res) => {
  if (req.url === '/fifo') readFifoSlowly();
  else if (req.url === '/pbkdf2') hashPasswordSlowly();
  res.end('ok');
}).listen(port, '127.0.0.1', () => console.log('ready'));
