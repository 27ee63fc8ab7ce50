export * from './errors.js';
export * from './ids.js';
export * from './log.js';
export * from './run.js';
export * from './config.js';
export * from './proto.js';
export * from './tls.js';
export const VERSION = '0.1.0';
export * from './grpc-status.js';
