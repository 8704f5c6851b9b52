// A Node.js service with two CPU-bound handlers, for the culprit tests:
//   /export  JSON.stringify of a big catalog, in exportCatalog
//   /email?n=N  a regex with catastrophic backtracking on N letters and a '!', in validateEmail
//               (time doubles with each letter: 27 takes ~1.3 s once V8 compiled the regex)
'use strict';
const http = require('http');

const port = Number(process.argv[2]);
const catalog = [];
for (let i = 0; i < 300000; i++)
  catalog.push({ id: i, name: `item ${i}`, tags: ['a', 'b', 'c'], price: i * 1.5, stock: { here: i % 7, there: i % 11 } });

function exportCatalog() {
  return JSON.stringify(catalog).length + JSON.stringify(catalog).length;
}

function validateEmail(address) {
  return /^([a-zA-Z0-9._]+\s?)*(@[a-z.]+)?$/.test(address);  // backtracks on a bad tail
}

http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  let body = 'ok';
  if (url.pathname === '/export') body = String(exportCatalog());
  else if (url.pathname === '/email') body = String(validateEmail('a'.repeat(Number(url.searchParams.get('n'))) + '!'));
  res.end(body);
}).listen(port, '127.0.0.1', () => console.log('ready'));
