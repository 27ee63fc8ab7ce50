import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERROR_TRAILER_KEY, FfError, channelCredentials, decodeErrorTrailer, readTls, type AgentClient } from '@freezeframe/common';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcAgentNode } from '@freezeframe/director/engine/core/agent-client.js';
import { isTransientError, rsyncExitOf } from '@freezeframe/director/engine/core/retry.js';
import { attachAgentLogs, client, startAgent, stopAgent, stream, writeAgentConfig, type TestAgent as Agent } from './support/agents.js';
import { makePki, type Pki } from './support/pki.js';
import { claim } from './support/claim.js';

await claim();

// An agent's FfError reaches the director's client whole: code, message, hint, node and
// details (a transfer failure's exit code, stderr and receiver; a bad request's field), carried
// in the `ff-error-bin` trailer. Two real agents (a dir source, a dir target) on loopback.

describe('error details across the wire', () => {
  let root: string;
  let pki: Pki;
  const agents: Agent[] = [];
  let src: GrpcAgentNode;
  let tgt: GrpcAgentNode;
  let rawSrc: AgentClient;
  const ID = '20240201_000000';

  /** The FfError a director call rejects with (fails the test when it resolves). */
  const failure = async (p: Promise<unknown>): Promise<FfError> => {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(FfError);
    return e as FfError;
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-errdetails-'));
    pki = await makePki(join(root, 'pki'), ['director', 'src-1', 'tgt']);
    const data = join(root, 'src-1', 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'a.txt'), 'a\n');
    const backups = join(root, 'tgt', 'backups');
    mkdirSync(backups, { recursive: true });
    const [a, b] = await Promise.all([
      startAgent('src-1', writeAgentConfig(root, pki, 'src-1', `source: { kind: dir, volume: ${data} }\nfreeze: { kind: none }\n`)),
      startAgent('tgt', writeAgentConfig(root, pki, 'tgt', `target: { kind: dir, path: ${backups} }\n`)),
    ]);
    agents.push(a, b);
    const creds = channelCredentials(readTls(pki.files('director')));
    src = new GrpcAgentNode({ name: 'src-1', address: `127.0.0.1:${a.port}` }, creds);
    tgt = new GrpcAgentNode({ name: 'tgt', address: `127.0.0.1:${b.port}` }, creds);
    rawSrc = client(pki, 'director', a);
  });

  afterAll(async () => {
    src?.close();
    tgt?.close();
    rawSrc?.close();
    for (const a of agents) await stopAgent(a);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("a bad request's field arrives as details.field, from unary calls and from a stream", async () => {
    attachAgentLogs(agents);
    const badId = await failure(src.prepareSnapshot('../etc'));
    expect(badId).toMatchObject({ code: 'INVALID_ARGUMENT', node: 'src-1', details: { field: 'backup_id', grpcStatus: 'INVALID_ARGUMENT' } });
    expect(badId.message).toMatch(/^src-1: backup_id "\.\.\/etc" is not a backup id/);

    const badHolder = await failure(tgt.lockTarget({ backupId: ID, leaseMs: 1_000, purpose: 'backup', holder: 'no spaces allowed' }));
    expect(badHolder).toMatchObject({ code: 'INVALID_ARGUMENT', node: 'tgt', details: { field: 'holder' } });

    await src.prepareSnapshot(ID);
    const send = { backupId: ID, ticket: 'not-a-ticket', receiverName: 'tgt', receiverHost: '127.0.0.1', receiverDataPort: agents[1]!.dataPort, inplace: false };
    const badTicket = await failure(src.performRsync(send));
    expect(badTicket).toMatchObject({ code: 'INVALID_ARGUMENT', node: 'src-1', details: { field: 'ticket' } });
    const badPort = await failure(src.performRsync({ ...send, ticket: 'a'.repeat(64), receiverDataPort: 0 }));
    expect(badPort.details).toMatchObject({ field: 'receiver_data_port' });
    await src.removeSnapshot(ID);
  });

  it("a transfer failure's exit code, stderr, receiver and hint arrive as FfError details; retry reads the exit code from them", async () => {
    attachAgentLogs(agents);
    await src.prepareSnapshot(ID);
    const entry = (await src.describe()).source!.entry;
    const rcv = await tgt.openReceive({ backupId: ID, source: 'src-1', direction: 'backup', peer: 'src-1', entry });
    const send = { backupId: ID, ticket: rcv.ticket, receiverName: 'tgt', receiverHost: '127.0.0.1', receiverDataPort: rcv.dataPort, inplace: rcv.inplace };
    expect((await src.performRsync(send)).exitCode).toBe(0);

    // the same ticket again: the receiver refuses it, rsync exits 12
    const err = await failure(src.performRsync(send));
    expect(err).toMatchObject({
      code: 'TRANSFER_FAILED',
      node: 'src-1',
      hint: 'the receiver refused the ticket: open a new one with OpenReceive',
      details: { exitCode: 12, receiver: 'tgt', grpcStatus: 'INTERNAL', stderr: expect.stringContaining('already used') },
    });
    expect(err.message).toMatch(/^src-1: rsync to tgt .* exited with 12/);
    expect(err.details).not.toHaveProperty('reportedNode');
    expect(rsyncExitOf(err)).toBe(12);
    expect(isTransientError(err)).toBe(false);

    // on the wire: one binary trailer, JSON naming the agent
    const se = (await stream(rawSrc, 'PerformRsync', {
      backup_id: ID,
      ticket: rcv.ticket,
      receiver_name: 'tgt',
      receiver_host: '127.0.0.1',
      receiver_data_port: rcv.dataPort,
      inplace: rcv.inplace,
    }).catch((e: unknown) => e)) as grpc.ServiceError;
    const values = se.metadata.get(ERROR_TRAILER_KEY);
    expect(values).toHaveLength(1);
    expect(JSON.parse((values[0] as Buffer).toString('utf8'))).toMatchObject({ v: 1, code: 'TRANSFER_FAILED', node: 'src-1', details: { exitCode: 12, receiver: 'tgt' } });
    expect(decodeErrorTrailer(values[0])).toMatchObject({ code: 'TRANSFER_FAILED', node: 'src-1' });
    await src.removeSnapshot(ID);
  });
});
