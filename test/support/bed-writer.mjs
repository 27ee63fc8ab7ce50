// An application of the test bed: runs inside an app container (node from the host's /usr) and
// keeps writing into its source volume while backups run.
//   node bed-writer.mjs solo     <dir>
//   node bed-writer.mjs leader   <dir> <xchg>   writes n to its dir, then hands n to the follower
//   node bed-writer.mjs follower <dir> <xchg>   writes the n it was handed, then acknowledges it
// Leader and follower run in containers on different nodes; the leader never writes n+1 before
// the follower has written n, so in real time the follower's counter is never ahead of the
// leader's, and any consistent cut of the two volumes shows leader - follower in {0, 1}.
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [role, dir, xchg] = process.argv.slice(2);
if (!dir || !['solo', 'leader', 'follower'].includes(role ?? '') || (role !== 'solo' && !xchg)) {
  console.error('usage: bed-writer.mjs solo|leader|follower <dir> [<xchg>]');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const pause = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms) => Atomics.wait(pause, 0, 0, ms);

// rename makes each counter update atomic: a freeze between truncate and write cannot leave
// an empty counter in a snapshot
function writeAtomic(file, text) {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}
function readNumber(file) {
  try {
    return Number(readFileSync(file, 'utf8')) || 0;
  } catch (e) {
    if (e.code === 'ENOENT') return 0;
    throw e;
  }
}
function step(n) {
  writeAtomic(join(dir, 'counter'), String(n));
  // a line every 10th step keeps the log growing without filling the small volumes
  if (n % 10 === 0) appendFileSync(join(dir, 'log'), `${role} ${n} ${Date.now()}\n`);
}

let n = readNumber(join(dir, 'counter'));
console.log(JSON.stringify({ event: 'writing', role, from: n }));
for (;;) {
  if (role === 'solo') {
    step(++n);
    sleep(5);
  } else if (role === 'leader') {
    step(++n);
    writeAtomic(join(xchg, 'turn'), String(n));
    while (readNumber(join(xchg, 'ack')) < n) sleep(2);
    // a few hundred steps a second are plenty and leave the 2 cores to the backup
    sleep(3);
  } else {
    const turn = readNumber(join(xchg, 'turn'));
    if (turn > n) {
      n = turn;
      step(n);
      writeAtomic(join(xchg, 'ack'), String(n));
    } else {
      sleep(2);
    }
  }
}
