// A Node.js loop that blocks in Atomics.wait for 0.2 s every 0.6 s, N times: the stall-cost
// benchmark's Node target (its JavaScript frames are read from V8 at each report).
'use strict';
const cell = new Int32Array(new SharedArrayBuffer(4));

function blockingCall() {
  Atomics.wait(cell, 0, 0, 200);
}

let left = Number(process.argv[2]);
console.log('ready');
setTimeout(function tick() {
  blockingCall();
  if (--left > 0) setTimeout(tick, 400);
}, 1000);
