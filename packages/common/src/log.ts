import { pino, destination, type Logger } from 'pino';

export type { Logger };

/** JSON logs (pino) on stderr so stdout stays free for command output. */
export function createLogger(name: string, level = process.env.FREEZEFRAME_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { node: name } }, destination({ fd: 2, sync: true }));
}

export const silentLogger: Logger = pino({ level: 'silent' });
