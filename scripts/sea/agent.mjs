// Entry point of the single executable /usr/bin/freezeframe-agent (bundled by scripts/package.mjs).
// The one binary is both programs the checkout runs with node: the agent (dist/main.js) and the
// data-channel tunnel (dist/tunnel.js) that rsync starts as its --rsh, as
// `freezeframe-agent --data-tunnel <host> rsync --server ...`.
// first: no inspector may open, by SIGUSR1 (see the module)
import '../../packages/common/dist/no-inspector.js';

// SEA_TUNNEL_ARG in packages/agent/src/tools/rsync.ts; a literal here, so the tunnel does not
// load the agent's modules (grpc, zod, pino) to learn it
const TUNNEL_ARG = '--data-tunnel';

if (process.argv[2] === TUNNEL_ARG) {
  // the tunnel reads argv as [node, tunnel.js, <host>, ...]
  process.argv.splice(2, 1);
  void import('../../packages/agent/dist/tunnel.js');
} else {
  void import('../../packages/agent/dist/main.js');
}
