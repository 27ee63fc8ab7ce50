import { DEFAULT_CIPHERS } from 'node:tls';

// Node built-ins only: the tunnel imports this, and its start-up is paid once per transfer.

/**
 * The data channel's cipher preference: node's default list with AES-128-GCM first. Every
 * byte of a transfer is encrypted in node's one thread, and AES-128-GCM is the cheapest AEAD
 * on AES-NI CPUs (chacha20 is slower there); the rest of the list is unchanged, so nothing
 * weaker than the default is ever offered.
 */
export const DATA_CIPHERS = ['TLS_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256']
  .concat(DEFAULT_CIPHERS.split(':').filter((c) => !['TLS_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'].includes(c)))
  .join(':');

/** Stream buffer for the byte path: fewer, larger reads and writes than node's 16-64 KiB defaults. */
export const DATA_HIGH_WATER_MARK = 1 << 20;
