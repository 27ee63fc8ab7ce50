import { FfError, isTicket } from '@freezeframe/common';
import type { ReceiveResultRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/ReceiveResultRequest.js';
import type { ReceiveResultResponse } from '@freezeframe/common/generated/freezeframe/v1/ReceiveResultResponse.js';
import type { AgentContext } from '../context.js';

const MAX_WAIT_MS = 60_000;

/** Receiver: how the data-channel session of one ticket ended (see ReceiveResults). */
export async function receiveResult(ctx: AgentContext, req: ReceiveResultRequest__Output): Promise<ReceiveResultResponse> {
  if (!isTicket(req.ticket)) {
    throw new FfError('INVALID_ARGUMENT', 'ticket must be 64 hex characters (from OpenReceive)', { details: { field: 'ticket' } });
  }
  const waitMs = Math.min(MAX_WAIT_MS, Math.max(0, Number(req.wait_ms) || 0));
  const r = await ctx.receiveResults.get(req.ticket, waitMs);
  if (!r) {
    const unused = ctx.tickets.pending().some((t) => t.ticket === req.ticket);
    return { state: unused ? 'unused' : 'unknown', exit_code: 0, ok: false, message: unused ? 'the ticket was never presented' : 'no session is known for this ticket', not_stored: [], not_stored_total: '0' };
  }
  return {
    state: r.state,
    exit_code: r.exitCode,
    ok: r.state === 'done' && r.ok,
    message: r.message,
    not_stored: r.notStored.map((n) => ({ path: n.path, class: n.class, message: n.message, allowed: n.allowed })),
    not_stored_total: String(r.notStoredTotal),
  };
}
