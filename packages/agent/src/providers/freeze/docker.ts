import { CONTAINER_ID_RE, FfError, errorMessage, isFfError, silentLogger, type FreezeConfig, type Logger } from '@freezeframe/common';
import { createDockerApi, type DockerApi } from '../../tools/docker-api.js';
import { socketCheck, type Check } from '../checks.js';
import type { FreezeProvider } from './types.js';

type DockerFreezeConfig = Extract<FreezeConfig, { kind: 'docker' }>;

/** Containers with this label are never paused: the agent itself may run in one. */
export const AGENT_ROLE_LABEL = 'freezeframe.role';

// Ids handed to thaw come from the agent's own records: a full or short hex id (CONTAINER_ID_RE).

/** A container that vanished or stopped between listing and pausing is simply not there to freeze. */
function isGoneOrStopped(e: unknown): boolean {
  if (isFfError(e, 'NOT_FOUND')) return true;
  return isFfError(e, 'FAILED_PRECONDITION') && /is not running|is restarting|is marked for removal/i.test(e.message);
}

/** Pauses running containers through the Docker Engine API (`docker pause` uses the kernel freezer). */
export class DockerFreeze implements FreezeProvider {
  readonly kind = 'docker';
  private readonly api: DockerApi;

  constructor(
    private readonly cfg: DockerFreezeConfig,
    private readonly log: Logger = silentLogger,
    api?: DockerApi,
  ) {
    this.api = api ?? createDockerApi(cfg.socket);
  }

  async freeze(signal?: AbortSignal): Promise<string[]> {
    const listed = await this.api.listContainers({ running: true, labels: this.cfg.labels }, signal).catch((e: unknown) => {
      throw new FfError('FREEZE_FAILED', `cannot list containers to pause: ${errorMessage(e)}`, { cause: e, ...hintOf(e) });
    });
    const targets = listed.filter((c) => c.labels[AGENT_ROLE_LABEL] !== 'agent');

    const paused: string[] = [];
    const failures: Array<{ name: string; error: unknown }> = [];
    await Promise.all(
      targets.map(async (c) => {
        try {
          // false: someone else paused it; it is not ours to unpause later
          if (await this.api.pause(c.id, signal)) paused.push(c.id);
        } catch (e) {
          if (isGoneOrStopped(e)) {
            this.log.warn({ container: c.id, err: errorMessage(e) }, 'container stopped before it could be paused');
            return;
          }
          failures.push({ name: c.names[0] ?? c.id.slice(0, 12), error: e });
        }
      }),
    );
    if (failures.length === 0) return paused;

    await this.thaw(paused).catch((e: unknown) => {
      this.log.error({ err: errorMessage(e), containers: paused }, 'could not unpause after a failed freeze');
    });
    const first = failures[0]!;
    const names = failures.map((f) => f.name).join(', ');
    throw new FfError('FREEZE_FAILED', `cannot pause container ${names} on ${this.cfg.socket}: ${errorMessage(first.error)}`, {
      cause: first.error,
      details: { containers: failures.map((f) => f.name), unpaused: paused },
      ...hintOf(first.error),
    });
  }

  async thaw(ids: readonly string[]): Promise<string[]> {
    for (const id of ids) {
      if (!CONTAINER_ID_RE.test(id)) throw new FfError('INVALID_ARGUMENT', `cannot thaw '${id}': not a container id`);
    }
    const resumed: string[] = [];
    const failures: Array<{ id: string; error: unknown }> = [];
    await Promise.all(
      ids.map(async (id) => {
        try {
          if (await this.api.unpause(id)) resumed.push(id);
        } catch (e) {
          if (isGoneOrStopped(e)) return;
          failures.push({ id, error: e });
        }
      }),
    );
    if (failures.length > 0) {
      const first = failures[0]!;
      throw new FfError(
        'FREEZE_FAILED',
        `cannot unpause container ${failures.map((f) => f.id.slice(0, 12)).join(', ')} on ${this.cfg.socket}: ${errorMessage(first.error)}`,
        { cause: first.error, details: { failed: failures.map((f) => f.id), resumed }, ...hintOf(first.error) },
      );
    }
    // keep the caller's order: records and logs read better
    return ids.filter((id) => resumed.includes(id));
  }

  /** The engine's socket exists (Health pings every engine the config uses once, see rpc/health.ts). */
  async checks(): Promise<Check[]> {
    return [await socketCheck('freeze-socket', 'freeze.socket', this.cfg.socket)];
  }
}

function hintOf(e: unknown): { hint?: string } {
  return isFfError(e) && e.hint !== undefined ? { hint: e.hint } : {};
}
