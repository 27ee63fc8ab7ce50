#!/usr/bin/env -S -u NODE_OPTIONS node
// first: no inspector may open, by SIGUSR1 or an inherited --inspect (see the module)
import '@freezeframe/common/no-inspector';
import { createInterface } from 'node:readline/promises';
import { main } from './program.js';

/** A question to the person at the terminal (restore's confirmation); only when there is one. */
async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

// a closed terminal (SIGHUP, ssh gone) or pipe makes writes fail: the output is lost, the run goes on
for (const s of [process.stdout, process.stderr]) s.on('error', () => {});
const code = await main(process.argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signals: { source: process, exit: (c) => process.exit(c) },
  ...(process.stdin.isTTY && process.stderr.isTTY ? { ask } : {}),
});
// Exit once the output is flushed instead of waiting for the event loop to drain: a connection
// attempt to a node cut off the network keeps it alive until TCP gives up, minutes after the run ended.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve))));
process.exit(code);
