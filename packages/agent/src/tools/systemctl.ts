import { FfError, isFfError, run, type Logger } from '@freezeframe/common';

/** systemd's `systemctl`, from the path in the agent config; unit names are validated there. */
export interface SystemctlOptions {
  bin: string;
  timeoutMs: number;
  logger?: Logger;
}

/** `systemctl stop`; several units go in one call (a socket and its service, so the socket cannot start the service between two calls). */
export async function systemctlStop(o: SystemctlOptions, unit: string | readonly string[]): Promise<void> {
  await run({ bin: o.bin, args: ['stop', ...(typeof unit === 'string' ? [unit] : unit)], timeoutMs: o.timeoutMs, ...(o.logger ? { logger: o.logger } : {}) });
}

export async function systemctlStart(o: SystemctlOptions, unit: string | readonly string[]): Promise<void> {
  await run({ bin: o.bin, args: ['start', ...(typeof unit === 'string' ? [unit] : unit)], timeoutMs: o.timeoutMs, ...(o.logger ? { logger: o.logger } : {}) });
}

/** `systemctl is-active`: exit 0 active; 3 inactive/failed; 4 no such unit. */
export async function systemctlIsActive(o: SystemctlOptions, unit: string): Promise<boolean> {
  try {
    const r = await run({ bin: o.bin, args: ['is-active', unit], timeoutMs: o.timeoutMs, okExitCodes: [0, 3], ...(o.logger ? { logger: o.logger } : {}) });
    return r.code === 0;
  } catch (e) {
    if (isFfError(e, 'COMMAND_FAILED') && e.details?.exitCode === 4) {
      throw new FfError('NOT_FOUND', `systemd unit ${unit} does not exist`, { cause: e, hint: 'check the unit name in the agent config' });
    }
    throw e;
  }
}
