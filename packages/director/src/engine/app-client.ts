import * as grpc from '@grpc/grpc-js';
import { FfError, MAX_MESSAGE_BYTES, channelCredentials, fromGrpcError, loadProto, readTls, type AgentClient, type Inventory } from '@freezeframe/common';
import type { RestoreKeyspaceStep__Output } from '@freezeframe/common/generated/freezeframe/v1/RestoreKeyspaceStep.js';
import type { StartServicesResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/StartServicesResponse.js';
import type { StopServicesResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/StopServicesResponse.js';

// The application RPCs (keyspace restore, services) in domain types. A separate client from
// agent-client.ts so the backup/restore engine's AgentNode stays as it is.

export interface KeyspaceStep {
  step: string;
  keyspace: string;
  table: string;
  detail: string;
  files: number;
  bytes: number;
  durationMs: number;
}

export interface ServiceState {
  kind: string;
  name: string;
  id: string;
  action: string;
}

export interface AppNode {
  readonly name: string;
  restoreKeyspace(backupId: string, keyspaces: string[], onStep?: (s: KeyspaceStep) => void): Promise<KeyspaceStep[]>;
  stopServices(): Promise<ServiceState[]>;
  startServices(): Promise<ServiceState[]>;
  close(): void;
}

/** Stopping containers waits for each container's stop timeout. */
const SERVICES_DEADLINE_MS = 10 * 60_000;

const num = (v: string | number | undefined | null): number => (v === undefined || v === null || v === '' ? 0 : Number(v));

function connect(node: { name: string; address: string }, tlsFiles: Inventory['tls']): AgentClient {
  const Agent = loadProto().freezeframe.v1.Agent;
  return new Agent(node.address, channelCredentials(readTls(tlsFiles)), {
    'grpc.ssl_target_name_override': node.name,
    'grpc.default_authority': node.name,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
  }) as unknown as AgentClient;
}

export function appNode(node: { name: string; address: string }, tlsFiles: Inventory['tls']): AppNode {
  const client = connect(node, tlsFiles);
  const unary = <T>(fn: (o: grpc.CallOptions, cb: (err: grpc.ServiceError | null, r?: T) => void) => void): Promise<T> =>
    new Promise((resolve, reject) => {
      fn({ deadline: Date.now() + SERVICES_DEADLINE_MS }, (err, r) => {
        if (err) reject(fromGrpcError(err, node.name));
        else if (r === undefined) reject(new FfError('INTERNAL', `${node.name}: empty response`, { node: node.name }));
        else resolve(r);
      });
    });
  const services = (list: Array<{ kind: string; name: string; id: string; action: string }>): ServiceState[] =>
    list.map((s) => ({ kind: s.kind, name: s.name, id: s.id, action: s.action }));

  return {
    name: node.name,
    async restoreKeyspace(backupId, keyspaces, onStep) {
      // no deadline: a repair of a large keyspace takes hours; the agent bounds it (repairTimeout)
      const stream = client.RestoreKeyspace({ backup_id: backupId, keyspaces });
      const steps: KeyspaceStep[] = [];
      let done = false;
      try {
        for await (const m of stream as AsyncIterable<RestoreKeyspaceStep__Output>) {
          if (m.done) {
            done = true;
            continue;
          }
          const s: KeyspaceStep = { step: m.step, keyspace: m.keyspace, table: m.table, detail: m.detail, files: num(m.files), bytes: num(m.bytes), durationMs: num(m.duration_ms) };
          steps.push(s);
          onStep?.(s);
        }
      } catch (e) {
        const err = fromGrpcError(e, node.name);
        throw new FfError(err.code, err.message, { node: node.name, ...(err.hint ? { hint: err.hint } : {}), details: { ...(err.details ?? {}), steps } });
      }
      if (!done) throw new FfError('RESTORE_FAILED', `${node.name}: keyspace restore ended without its final step`, { node: node.name, details: { steps } });
      return steps;
    },
    async stopServices() {
      const r = await unary<StopServicesResponse__Output>((o, cb) => client.StopServices({}, o, cb));
      return services(r.services);
    },
    async startServices() {
      const r = await unary<StartServicesResponse__Output>((o, cb) => client.StartServices({}, o, cb));
      return services(r.services);
    },
    close: () => client.close(),
  };
}

/** One client per inventory node (all of them, or the named ones). */
export function appNodes(inv: Inventory, names?: readonly string[]): AppNode[] {
  return inv.nodes.filter((n) => !names || names.includes(n.name)).map((n) => appNode(n, inv.tls));
}
