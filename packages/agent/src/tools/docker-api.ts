import { request } from 'node:http';
import { CONTAINER_NAME_RE, FfError, errorMessage, type ErrorCode } from '@freezeframe/common';

/**
 * The Docker Engine API over its unix socket (no docker CLI in the agent). Only the verbs
 * freezeframe needs; every request has a timeout and every failure is an FfError naming the
 * socket, the container and the engine's own message.
 */

export interface ContainerSummary {
  id: string;
  /** Without the leading '/'. */
  names: string[];
  labels: Record<string, string>;
  /** created | running | paused | restarting | removing | exited | dead */
  state: string;
}

export interface ContainerDetails {
  id: string;
  name: string;
  labels: Record<string, string>;
  running: boolean;
  paused: boolean;
}

export interface ListOptions {
  /** Only running (not paused, not stopped) containers. */
  running?: boolean;
  /** Containers having ALL of these labels: `key` or `key=value`. */
  labels?: readonly string[];
}

export interface DockerApi {
  readonly socket: string;
  ping(signal?: AbortSignal): Promise<void>;
  listContainers(opts?: ListOptions, signal?: AbortSignal): Promise<ContainerSummary[]>;
  inspect(id: string, signal?: AbortSignal): Promise<ContainerDetails>;
  /** true if this call paused it; false if it was already paused. */
  pause(id: string, signal?: AbortSignal): Promise<boolean>;
  /** true if this call resumed it; false if it was not paused. */
  unpause(id: string, signal?: AbortSignal): Promise<boolean>;
  /** true if this call stopped it; false if it was already stopped. */
  stop(id: string, opts?: { timeoutSeconds?: number }, signal?: AbortSignal): Promise<boolean>;
  /** true if this call started it; false if it was already running. */
  start(id: string, signal?: AbortSignal): Promise<boolean>;
}

export interface DockerApiOptions {
  /** Per request (default 15 s); `stop` adds the container's stop timeout on top. */
  timeoutMs?: number;
}

interface Answer {
  status: number;
  body: string;
}

// The engine accepts full ids, short ids and names (CONTAINER_NAME_RE); anything else never reaches a URL.

function checkRef(socket: string, id: string): string {
  if (!CONTAINER_NAME_RE.test(id)) {
    throw new FfError('INVALID_ARGUMENT', `docker engine at ${socket}: '${id}' is not a container id or name`);
  }
  return encodeURIComponent(id);
}

/** The engine answers errors as {"message": "..."}. */
function engineMessage(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof m === 'string' && m.length > 0) return m;
  } catch {
    // not JSON: use the raw text
  }
  return body.trim().slice(0, 500) || '(empty answer)';
}

function codeForStatus(status: number): ErrorCode {
  if (status === 404) return 'NOT_FOUND';
  if (status === 401 || status === 403) return 'PERMISSION_DENIED';
  if (status === 400) return 'INVALID_ARGUMENT';
  if (status === 409) return 'FAILED_PRECONDITION';
  return 'COMMAND_FAILED';
}

/** Builds the `filters` query value of GET /containers/json. Exported for its unit test. */
export function containerFilters(opts: ListOptions): string {
  const filters: Record<string, string[]> = {};
  if (opts.running) filters.status = ['running'];
  if (opts.labels && opts.labels.length > 0) filters.label = [...opts.labels];
  return JSON.stringify(filters);
}

export function createDockerApi(socket: string, options: DockerApiOptions = {}): DockerApi {
  const timeoutMs = options.timeoutMs ?? 15_000;

  function call(method: string, path: string, what: string, signal?: AbortSignal, extraMs = 0): Promise<Answer> {
    const limit = timeoutMs + extraMs;
    return new Promise<Answer>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new FfError('CANCELLED', `docker engine at ${socket}: ${what} was cancelled`));
        return;
      }
      let settled = false;
      const finish = (result: Answer | FfError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (result instanceof FfError) {
          req.destroy();
          reject(result);
        } else {
          resolve(result);
        }
      };
      const req = request({ socketPath: socket, method, path, headers: { Host: 'docker', 'Content-Length': 0 } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('error', (e) => finish(new FfError('UNAVAILABLE', `docker engine at ${socket}: ${what}: ${e.message}`, { cause: e })));
        res.on('end', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      // A whole-request deadline: the `timeout` option of http.request only measures idleness.
      const timer = setTimeout(
        () => finish(new FfError('DEADLINE_EXCEEDED', `docker engine at ${socket}: ${what} got no answer within ${limit} ms`)),
        limit,
      );
      const onAbort = () => finish(new FfError('CANCELLED', `docker engine at ${socket}: ${what} was cancelled`));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e: NodeJS.ErrnoException) => {
        const denied = e.code === 'EACCES' || e.code === 'EPERM';
        finish(
          new FfError(denied ? 'PERMISSION_DENIED' : 'UNAVAILABLE', `docker engine at ${socket} is not reachable (${what}): ${errorMessage(e)}`, {
            cause: e,
            hint: denied
              ? 'the agent needs read-write access to the Docker socket'
              : 'is dockerd running? If the agent runs in a container, mount the socket into it (-v /var/run/docker.sock:/var/run/docker.sock)',
            details: { socket },
          }),
        );
      });
      req.end();
    });
  }

  function failure(answer: Answer, what: string, container?: string): FfError {
    const msg = engineMessage(answer.body);
    return new FfError(codeForStatus(answer.status), `docker engine at ${socket}: ${what}: ${msg} (HTTP ${answer.status})`, {
      details: { socket, status: answer.status, ...(container !== undefined ? { container } : {}), engineMessage: msg },
    });
  }

  /**
   * State-changing verbs answer 204 when they acted and 304 (start/stop) or 409 with a
   * recognisable message (pause/unpause) when the container was already in that state.
   */
  async function act(verb: string, id: string, alreadyRe: RegExp | undefined, signal?: AbortSignal, query = '', extraMs = 0): Promise<boolean> {
    const ref = checkRef(socket, id);
    const what = `${verb} container ${id}`;
    const answer = await call('POST', `/containers/${ref}/${verb}${query}`, what, signal, extraMs);
    if (answer.status === 204 || answer.status === 200) return true;
    if (answer.status === 304) return false;
    // engines before API 1.42 answer 'is not paused' with 500, later ones with 409
    if ((answer.status === 409 || answer.status === 500) && alreadyRe?.test(engineMessage(answer.body))) return false;
    throw failure(answer, what, id);
  }

  return {
    socket,

    async ping(signal) {
      const answer = await call('GET', '/_ping', 'ping', signal);
      if (answer.status !== 200) throw failure(answer, 'ping');
    },

    async listContainers(opts = {}, signal) {
      const query = `?filters=${encodeURIComponent(containerFilters(opts))}`;
      const answer = await call('GET', `/containers/json${query}`, 'list containers', signal);
      if (answer.status !== 200) throw failure(answer, 'list containers');
      const raw = JSON.parse(answer.body) as Array<{ Id: string; Names?: string[]; Labels?: Record<string, string> | null; State?: string }>;
      return raw.map((c) => ({
        id: c.Id,
        names: (c.Names ?? []).map((n) => n.replace(/^\//, '')),
        labels: c.Labels ?? {},
        state: c.State ?? '',
      }));
    },

    async inspect(id, signal) {
      const ref = checkRef(socket, id);
      const what = `inspect container ${id}`;
      const answer = await call('GET', `/containers/${ref}/json`, what, signal);
      if (answer.status !== 200) throw failure(answer, what, id);
      const c = JSON.parse(answer.body) as {
        Id: string;
        Name?: string;
        Config?: { Labels?: Record<string, string> | null };
        State?: { Running?: boolean; Paused?: boolean };
      };
      return {
        id: c.Id,
        name: (c.Name ?? '').replace(/^\//, ''),
        labels: c.Config?.Labels ?? {},
        running: c.State?.Running === true,
        paused: c.State?.Paused === true,
      };
    },

    pause: (id, signal) => act('pause', id, /is already paused/i, signal),
    unpause: (id, signal) => act('unpause', id, /is not paused/i, signal),

    stop(id, opts = {}, signal) {
      const t = opts.timeoutSeconds;
      const query = t === undefined ? '' : `?t=${Math.max(0, Math.floor(t))}`;
      // the engine waits up to the stop timeout before it kills, then answers
      return act('stop', id, undefined, signal, query, ((t ?? 10) + 5) * 1000);
    },

    start: (id, signal) => act('start', id, undefined, signal),
  };
}
