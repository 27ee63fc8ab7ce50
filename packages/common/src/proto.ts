import { fromJSON, loadSync, type Options } from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getAsset, isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';
import type { ProtoGrpcType } from './generated/agent.js';

export type { AgentClient } from './generated/freezeframe/v1/Agent.js';
export type { AgentHandlers } from './generated/freezeframe/v1/Agent.js';

/** Loader options shared by both sides and by the type generator (scripts/gen-proto.mjs). */
export const LOADER_OPTIONS: Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

/** Largest message either side accepts; the data channel does not travel over gRPC. */
export const MAX_MESSAGE_BYTES = 4 << 20;

function protoRoot(): string {
  // dist/ or src/ inside packages/common, or a bundled copy next to this file
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'proto/freezeframe/v1/agent.proto'))) return join(dir, 'proto');
    dir = dirname(dir);
  }
  throw new Error('proto/freezeframe/v1/agent.proto not found above ' + fileURLToPath(import.meta.url));
}

/**
 * The asset a single executable (scripts/package.mjs) carries the service in: agent.proto parsed at
 * build time into protobuf.js JSON, as there is no proto/ folder beside /usr/bin/freezeframe.
 */
export const PROTO_ASSET = 'freezeframe-v1.proto.json';

let cached: ProtoGrpcType | undefined;

export function loadProto(): ProtoGrpcType {
  if (!cached) {
    const def = isSea()
      ? fromJSON(JSON.parse(getAsset(PROTO_ASSET, 'utf8')) as Parameters<typeof fromJSON>[0], LOADER_OPTIONS)
      : loadSync('freezeframe/v1/agent.proto', { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
    cached = grpc.loadPackageDefinition(def) as unknown as ProtoGrpcType;
  }
  return cached;
}
