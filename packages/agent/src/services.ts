import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ENGINE_UNITS, FfError, createSerial, errorMessage, isFfError, writeFileAtomic, type Logger, type ServiceRef, type ServicesConfig } from '@freezeframe/common';
import { AGENT_ROLE_LABEL } from './providers/freeze/docker.js';
import { createDockerApi } from './tools/docker-api.js';
import { systemctlIsActive, systemctlStart, systemctlStop } from './tools/systemctl.js';

// Stopping and starting what the agent config names: one service (Cassandra for a keyspace
// restore) or the node's service list (stop-services / start-services around a restore).

/** How the Docker engine (`services.dockerEngine`) appears in answers and the record: by its service unit. */
const ENGINE = 'docker.service';

export interface ServiceState {
  kind: 'docker' | 'unit';
  name: string;
  /** Container id (docker). */
  id?: string;
  /** What a stop or start did; `running` only from status(). */
  action: 'stopped' | 'started' | 'not-running' | 'already-running' | 'gone' | 'running';
}

/** Stops and starts one configured service; `describe` names it for messages. */
export interface ServiceControl {
  describe: string;
  stop(): Promise<boolean>;
  start(): Promise<boolean>;
}

export function serviceControl(ref: ServiceRef, opts: { timeoutMs: number; log: Logger }): ServiceControl {
  if ('unit' in ref) {
    const o = { bin: ref.systemctl, timeoutMs: opts.timeoutMs, logger: opts.log };
    return {
      describe: `systemd unit ${ref.unit}`,
      async stop() {
        const was = await systemctlIsActive(o, ref.unit);
        await systemctlStop(o, ref.unit);
        return was;
      },
      async start() {
        const was = await systemctlIsActive(o, ref.unit);
        await systemctlStart(o, ref.unit);
        return !was;
      },
    };
  }
  const api = createDockerApi(ref.socket);
  return {
    describe: `container ${ref.container}`,
    stop: () => api.stop(ref.container, { timeoutSeconds: Math.max(1, Math.floor(opts.timeoutMs / 1000) - 5) }),
    start: () => api.start(ref.container),
  };
}

/** What stop-services stopped, kept under runDir so start-services (even after a restart) starts exactly that. */
interface StoppedRecord {
  stoppedAt: number;
  /** `engine`: the Docker engine, stopped and started as all of ENGINE_UNITS in one call. */
  services: Array<{ kind: 'docker' | 'unit'; name: string; id?: string; engine?: true }>;
}

export class ServiceList {
  private readonly file: string;
  private readonly serial = createSerial();

  constructor(
    private readonly cfg: ServicesConfig,
    runDir: string,
    private readonly log: Logger,
  ) {
    this.file = join(runDir, 'stopped-services.json');
  }

  /**
   * Stops running containers (listed order), then units (listed order), then the Docker engine
   * (`dockerEngine`: its containers stop with it); records each one stopped.
   */
  stop(): Promise<{ services: ServiceState[]; recordedAt: number }> {
    return this.serial(async () => {
      const rec = (await this.read()) ?? { stoppedAt: Date.now(), services: [] };
      const out: ServiceState[] = [];
      const api = createDockerApi(this.cfg.socket, { timeoutMs: 15_000 });
      const stopSeconds = Math.max(1, Math.floor(this.cfg.stopTimeout / 1000));
      const containers: Array<{ name: string; id: string }> = [];
      for (const name of this.cfg.docker) {
        try {
          const c = await api.inspect(name);
          if (c.running) containers.push({ name, id: c.id });
          else out.push({ kind: 'docker', name, id: c.id, action: 'not-running' });
        } catch (e) {
          if (!isFfError(e, 'NOT_FOUND')) throw e;
          out.push({ kind: 'docker', name, action: 'gone' });
        }
      }
      if (this.cfg.allContainers) {
        // the engine lists running and paused containers by default
        const running = await api.listContainers({}).catch((e: unknown) => {
          throw new FfError('UNAVAILABLE', `cannot list containers: ${errorMessage(e)}`, { cause: e, ...(isFfError(e) && e.hint ? { hint: e.hint } : {}) });
        });
        for (const c of running) {
          const name = c.names[0] ?? c.id.slice(0, 12);
          if (c.labels[AGENT_ROLE_LABEL] === 'agent' || containers.some((x) => x.id === c.id)) continue;
          containers.push({ name, id: c.id });
        }
      }
      for (const c of containers) {
        // paused containers count as running: the engine stops them too
        const stopped = await api.stop(c.id, { timeoutSeconds: stopSeconds });
        out.push({ kind: 'docker', name: c.name, id: c.id, action: stopped ? 'stopped' : 'not-running' });
        if (stopped && !rec.services.some((s) => s.id === c.id)) rec.services.push({ kind: 'docker', name: c.name, id: c.id });
        if (stopped) await this.write(rec);
      }
      const o = { bin: this.cfg.systemctl, timeoutMs: this.cfg.stopTimeout + 5_000, logger: this.log };
      for (const unit of this.cfg.units) {
        if (!(await systemctlIsActive(o, unit))) {
          out.push({ kind: 'unit', name: unit, action: 'not-running' });
          continue;
        }
        await systemctlStop(o, unit);
        out.push({ kind: 'unit', name: unit, action: 'stopped' });
        if (!rec.services.some((s) => s.kind === 'unit' && s.name === unit)) rec.services.push({ kind: 'unit', name: unit });
        await this.write(rec);
      }
      if (this.cfg.dockerEngine) {
        // an active socket alone still counts: the first client would start the engine again
        if ((await systemctlIsActive(o, ENGINE)) || (await systemctlIsActive(o, 'docker.socket'))) {
          await systemctlStop(o, ENGINE_UNITS);
          out.push({ kind: 'unit', name: ENGINE, action: 'stopped' });
          if (!rec.services.some((s) => s.engine)) rec.services.push({ kind: 'unit', name: ENGINE, engine: true });
          await this.write(rec);
        } else {
          out.push({ kind: 'unit', name: ENGINE, action: 'not-running' });
        }
      }
      this.log.info({ services: out }, 'services stopped');
      return { services: out, recordedAt: rec.stoppedAt };
    });
  }

  /** Starts what the record lists, in reverse order of stopping; the record goes once all started. */
  start(): Promise<ServiceState[]> {
    return this.serial(async () => {
      const rec = await this.read();
      if (!rec) return [];
      const out: ServiceState[] = [];
      const api = createDockerApi(this.cfg.socket, { timeoutMs: 30_000 });
      const o = { bin: this.cfg.systemctl, timeoutMs: this.cfg.stopTimeout + 5_000, logger: this.log };
      for (const s of [...rec.services].reverse()) {
        if (s.kind === 'unit') {
          await systemctlStart(o, s.engine ? ENGINE_UNITS : s.name);
          out.push({ kind: 'unit', name: s.name, action: 'started' });
        } else {
          try {
            const started = await api.start(s.id ?? s.name);
            out.push({ kind: 'docker', name: s.name, ...(s.id ? { id: s.id } : {}), action: started ? 'started' : 'already-running' });
          } catch (e) {
            if (!isFfError(e, 'NOT_FOUND')) throw e;
            out.push({ kind: 'docker', name: s.name, ...(s.id ? { id: s.id } : {}), action: 'gone' });
          }
        }
        // what is started leaves the record, so a retry after a failure starts only the rest
        rec.services = rec.services.filter((x) => x !== s);
        await this.write(rec);
      }
      await rm(this.file, { force: true });
      this.log.info({ services: out }, 'services started');
      return out;
    });
  }

  /**
   * The configured services as they are now (for Health and the director's maintenance check):
   * `running`, `not-running` or `gone`. Read-only; never waits for a stop or start in progress.
   */
  async status(): Promise<ServiceState[]> {
    const out: ServiceState[] = [];
    const api = createDockerApi(this.cfg.socket, { timeoutMs: 5_000 });
    for (const name of this.cfg.docker) {
      try {
        const c = await api.inspect(name);
        out.push({ kind: 'docker', name, id: c.id, action: c.running ? 'running' : 'not-running' });
      } catch (e) {
        if (!isFfError(e, 'NOT_FOUND')) throw e;
        out.push({ kind: 'docker', name, action: 'gone' });
      }
    }
    if (this.cfg.allContainers) {
      for (const c of await api.listContainers({})) {
        const name = c.names[0] ?? c.id.slice(0, 12);
        if (c.labels[AGENT_ROLE_LABEL] === 'agent' || out.some((x) => x.id === c.id)) continue;
        out.push({ kind: 'docker', name, id: c.id, action: 'running' });
      }
    }
    const o = { bin: this.cfg.systemctl, timeoutMs: 10_000, logger: this.log };
    for (const unit of this.cfg.units) {
      try {
        out.push({ kind: 'unit', name: unit, action: (await systemctlIsActive(o, unit)) ? 'running' : 'not-running' });
      } catch (e) {
        if (!isFfError(e, 'NOT_FOUND')) throw e;
        out.push({ kind: 'unit', name: unit, action: 'gone' });
      }
    }
    if (this.cfg.dockerEngine) {
      try {
        out.push({ kind: 'unit', name: ENGINE, action: (await systemctlIsActive(o, ENGINE)) ? 'running' : 'not-running' });
      } catch (e) {
        if (!isFfError(e, 'NOT_FOUND')) throw e;
        out.push({ kind: 'unit', name: ENGINE, action: 'gone' });
      }
    }
    return out;
  }

  /** Services recorded as stopped by freezeframe (for Health). */
  async stopped(): Promise<string[]> {
    return ((await this.read())?.services ?? []).map((s) => `${s.kind} ${s.name}`);
  }

  private async read(): Promise<StoppedRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as StoppedRecord;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new FfError('FAILED_PRECONDITION', `${this.file}: cannot read the stopped-services record: ${errorMessage(e)}`, {
        hint: 'start by hand what it lists, then delete it',
      });
    }
  }

  private write(rec: StoppedRecord): Promise<void> {
    return writeFileAtomic(this.file, JSON.stringify(rec) + '\n');
  }
}
