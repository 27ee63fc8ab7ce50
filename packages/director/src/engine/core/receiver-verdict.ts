import { FfError } from '@freezeframe/common';
import type { AgentNode, ReceiveVerdict, SessionKind } from './types.js';

/** How long a receiving rsync may still be finishing after its sender returned. */
const VERDICT_WAIT_MS = 30_000;
const EXAMPLES = 20;

/** What a backup does not hold because its target cannot store it and the operator allowed that. */
export interface NotHeld {
  /** Files (or attributes) not stored, by class (xattrs, acls, owners, ...). */
  classes: Record<string, number>;
  total: number;
  /** Up to 20 of them, "path (class)". */
  examples: string[];
}

export function mergeNotHeld(a: NotHeld | undefined, b: NotHeld | undefined): NotHeld | undefined {
  if (!a || !b) return a ?? b;
  const classes = { ...a.classes };
  for (const [k, v] of Object.entries(b.classes)) classes[k] = (classes[k] ?? 0) + v;
  return { classes, total: a.total + b.total, examples: [...a.examples, ...b.examples].slice(0, EXAMPLES) };
}

/**
 * A transfer counts only when both rsyncs succeeded. The sender sees the relay close either way,
 * so the receiver is asked how its rsync ended: anything but success (or a loss its config
 * allows) fails the transfer, naming the files it could not store. Returns what was allowed.
 */
export async function receiverVerdict(receiver: AgentNode, ticket: string, o: { sender: string; direction: SessionKind; backupId?: string }): Promise<NotHeld | undefined> {
  const v: ReceiveVerdict = await receiver.receiveResult(ticket, VERDICT_WAIT_MS);
  const code = o.direction === 'restore' ? 'RESTORE_FAILED' : 'TRANSFER_FAILED';
  const what = o.direction === 'replicate' ? `replication of backup ${o.backupId ?? ''} from ${o.sender} to ${receiver.name}`.replace('  ', ' ') : `${o.direction} of ${o.sender} into ${receiver.name}`;
  const receiving = o.direction === 'replicate' ? 'the receiving stream' : 'the receiving rsync';
  if (v.state === 'running') {
    throw new FfError(code, `${what}: ${receiving} on ${receiver.name} was still running ${VERDICT_WAIT_MS / 1000} s after the sender finished`, { node: receiver.name });
  }
  if (v.state !== 'done') {
    throw new FfError(code, `${what}: ${receiver.name} has no result for this transfer (${v.message || v.state})`, {
      node: receiver.name,
      hint: 'the receiving agent may have restarted during the transfer; run it again',
    });
  }
  const lost = v.notStored.filter((n) => !n.allowed);
  if (!v.ok) {
    const shown = (lost.length > 0 ? lost : v.notStored).slice(0, 10).map((n) => `  ${n.path || '(no file named)'}: ${n.message}`);
    const more = v.notStoredTotal > shown.length ? `\n  ... ${v.notStoredTotal - shown.length} more` : '';
    const classes = [...new Set(lost.map((n) => n.class).filter((c) => c !== 'other'))];
    const list = shown.length > 0 ? `${receiver.name} could not store ${v.notStoredTotal} file(s) or attribute(s):\n${shown.join('\n')}${more}` : `${receiver.name}: ${v.message}`;
    throw new FfError(code, `${what} failed: ${list}`, {
      node: receiver.name,
      details: { receiver: receiver.name, exitCode: v.exitCode, notStored: v.notStored, notStoredTotal: v.notStoredTotal },
      ...(o.direction === 'backup' && classes.length > 0
        ? { hint: `if ${receiver.name}'s file system cannot hold ${classes.join(', ')} and losing them is acceptable, list them in its agent config as target.unsupported: [${classes.join(', ')}]` }
        : {}),
    });
  }
  if (v.notStored.length === 0) return undefined;
  const classes: Record<string, number> = {};
  for (const n of v.notStored) classes[n.class] = (classes[n.class] ?? 0) + 1;
  return { classes, total: v.notStoredTotal, examples: v.notStored.slice(0, EXAMPLES).map((n) => `${n.path} (${n.class})`) };
}
