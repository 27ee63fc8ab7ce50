// Types of sim-nodes.mjs, for test/scale-sim.test.ts.
export interface SimNode {
  name: string;
  /** 127.1.x.y:port */
  address: string;
  role: 'target' | 'source';
}
export interface SimNodes {
  nodes: SimNode[];
  certsMs: number;
  pids: number[];
  cpuMs(): number;
  /** Every RPC each node answered, in order. */
  calls(): Promise<Record<string, string[]>>;
  /** Per node, the client addresses its calls came from: one per connection. */
  peers(): Promise<Record<string, string[]>>;
  stop(): Promise<void>;
}
export declare function simIp(i: number): string;
export declare function startSimNodes(o: { pkiDir: string; count: number; processes?: number; prefix?: string; legacy?: number[] }): Promise<SimNodes>;
export declare function writeSimInventory(
  file: string,
  o: { pkiDir: string; nodes: SimNode[]; stateDir: string; lease?: string; concurrency?: number },
): string;
