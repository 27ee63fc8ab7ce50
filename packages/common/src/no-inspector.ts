/**
 * Keeps node's inspector shut in every freezeframe process: import it first in each entry
 * point (`import '@freezeframe/common/no-inspector'`). Node built-ins only: the data-channel
 * tunnel loads it, and rsync starts the tunnel once per transfer.
 *
 * An open inspector is a local root shell: it listens on 127.0.0.1 without authentication and
 * runs any code it is sent in this process.
 */
import inspector from 'node:inspector';

// Node opens the inspector (127.0.0.1:9229) when it receives SIGUSR1, and rsync sends SIGUSR1
// to its --rsh child (our tunnel, root) when it exits with an error. Node 20 has no flag to turn
// that off (later versions have --disable-sigusr1), but a listener replaces node's own handler
// (measured on node 20.20: with one installed, SIGUSR1 opens nothing).
process.on('SIGUSR1', () => undefined);

// --inspect in NODE_OPTIONS (inherited from a caller) or on the command line opened it before
// any of our code ran, and a debugger may already be attached: refuse to run rather than close
// it and carry on. (--inspect-brk waits for a
// debugger before this runs; the #!/usr/bin/env -S -u NODE_OPTIONS shebangs and the runner's
// scrubbed environment for children keep NODE_OPTIONS from reaching node at all.)
const url = inspector.url();
if (url !== undefined) {
  inspector.close();
  process.stderr.write(
    `freezeframe: refusing to run with the node inspector open (${new URL(url).host}, from --inspect in NODE_OPTIONS or on the command line): ` +
      'any local user could run code in this process\n',
  );
  process.exit(2);
}
// nothing started from here inherits it either
delete process.env.NODE_OPTIONS;
