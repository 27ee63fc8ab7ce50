import { basename } from 'node:path';
import { FfError, errorMessage, run, silentLogger, type FreezeConfig, type Logger } from '@freezeframe/common';
import { programCheck, type Check } from '../checks.js';
import type { FreezeProvider } from './types.js';

type CommandFreezeConfig = Extract<FreezeConfig, { kind: 'command' }>;
type Hook = NonNullable<CommandFreezeConfig['pre']>;

/** Output kept from a hook for logs and errors. */
const OUTPUT_TAIL = 2000;

function tail(s: string): string {
  const t = s.trim();
  return t.length > OUTPUT_TAIL ? `...${t.slice(t.length - OUTPUT_TAIL)}` : t;
}

/**
 * Operator hooks from the agent config: `pre` at freeze, `post` at thaw. The post hook is the
 * "undo" and always runs once a freeze was attempted: after a failed or timed-out pre hook
 * (here), and at thaw, lease expiry and the next start after a crash (the lease calls thaw
 * with the id this returns). A post hook may therefore run without a successful pre hook and
 * should be safe to run twice.
 */
export class CommandFreeze implements FreezeProvider {
  readonly kind = 'command';

  constructor(
    private readonly cfg: CommandFreezeConfig,
    private readonly log: Logger = silentLogger,
  ) {}

  private id(): string {
    return `command:${basename((this.cfg.pre ?? this.cfg.post)!.argv[0]!)}`;
  }

  private async runHook(which: 'pre' | 'post', hook: Hook, signal?: AbortSignal): Promise<void> {
    const [bin, ...args] = hook.argv;
    const r = await run({ bin: bin!, args, timeoutMs: hook.timeout, ...(signal ? { signal } : {}), logger: this.log, maxStdout: 64 << 10 });
    this.log.info({ hook: which, argv: hook.argv, duration_ms: r.durationMs, stdout: tail(r.stdout), stderr: tail(r.stderr) }, `${which} hook ran`);
  }

  async freeze(signal?: AbortSignal): Promise<string[]> {
    if (this.cfg.pre) {
      try {
        await this.runHook('pre', this.cfg.pre, signal);
      } catch (preError) {
        let undo = 'no post hook is configured';
        if (this.cfg.post) {
          try {
            // not tied to the request's signal: the undo must run even when the caller gave up
            await this.runHook('post', this.cfg.post);
            undo = 'the post hook ran';
          } catch (postError) {
            undo = `the post hook failed too: ${errorMessage(postError)}`;
            this.log.error({ err: errorMessage(postError) }, 'post hook after a failed pre hook failed');
          }
        }
        throw new FfError('FREEZE_FAILED', `pre hook ${this.cfg.pre.argv.join(' ')} failed: ${errorMessage(preError)}; ${undo}`, {
          cause: preError,
          details: { stderr: tail(String((preError as FfError).details?.stderr ?? '')) },
        });
      }
    }
    return [this.id()];
  }

  async thaw(): Promise<string[]> {
    if (!this.cfg.post) return [this.id()];
    try {
      await this.runHook('post', this.cfg.post);
    } catch (e) {
      throw new FfError('FREEZE_FAILED', `post hook ${this.cfg.post.argv.join(' ')} failed: ${errorMessage(e)}`, {
        cause: e,
        hint: 'the agent retries the post hook; check what it reports',
      });
    }
    return [this.id()];
  }

  /** Each hook's program exists and is executable. */
  async checks(): Promise<Check[]> {
    const out: Check[] = [];
    for (const which of ['pre', 'post'] as const) {
      const hook = this.cfg[which];
      if (hook) out.push(await programCheck('freeze-hook', `freeze.${which}.argv[0]`, hook.argv[0]!));
    }
    return out;
  }
}
