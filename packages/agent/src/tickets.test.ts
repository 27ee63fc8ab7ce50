import { describe, expect, it } from 'vitest';
import { TicketBook, type TicketGrant } from './tickets.js';

const grant: TicketGrant = {
  backupId: '20240101_000000',
  source: 'src-1',
  entry: 'src-1@+data',
  direction: 'backup',
  peer: 'src-1',
  path: '/backups/.partial/20240101_000000/src-1@+data',
  rsyncOptions: [],
};

describe('TicketBook', () => {
  it('issues random 256-bit tickets bound to the grant', () => {
    const book = new TicketBook();
    const a = book.issue(grant);
    const b = book.issue(grant);
    expect(a.ticket).toMatch(/^[0-9a-f]{64}$/);
    expect(a.ticket).not.toBe(b.ticket);
    expect(book.redeem({ ticket: a.ticket, peer: 'src-1', direction: 'backup' })).toMatchObject(grant);
  });

  it('cannot be replayed', () => {
    const book = new TicketBook();
    const t = book.issue(grant);
    book.redeem({ ticket: t.ticket, peer: 'src-1', direction: 'backup' });
    expect(() => book.redeem({ ticket: t.ticket, peer: 'src-1', direction: 'backup' })).toThrow(/unknown, expired or already used/);
  });

  it('expires', () => {
    let now = 1_000;
    const book = new TicketBook(60_000, () => now);
    const t = book.issue(grant);
    expect(t.expiresUnixMs).toBe(61_000);
    now = 61_000;
    expect(() => book.redeem({ ticket: t.ticket, peer: 'src-1', direction: 'backup' })).toThrow(/expired/);
    expect(book.pending()).toEqual([]);
  });

  it('refuses another peer without burning the ticket', () => {
    const book = new TicketBook();
    const t = book.issue(grant);
    expect(() => book.redeem({ ticket: t.ticket, peer: 'src-2', direction: 'backup' })).toThrow(/issued to 'src-1', presented by 'src-2'/);
    expect(() => book.redeem({ ticket: t.ticket, peer: undefined, direction: 'backup' })).toThrow(/no certificate/);
    expect(book.redeem({ ticket: t.ticket, peer: 'src-1', direction: 'backup' }).path).toBe(grant.path);
  });

  it('refuses the wrong direction', () => {
    const book = new TicketBook();
    const t = book.issue(grant);
    expect(() => book.redeem({ ticket: t.ticket, peer: 'src-1', direction: 'restore' })).toThrow(/ticket is for a backup/);
    expect(() => book.redeem({ ticket: t.ticket, peer: 'src-1', direction: undefined })).toThrow(/ticket is for a backup/);
  });

  it('refuses malformed and unknown tickets', () => {
    const book = new TicketBook();
    expect(() => book.redeem({ ticket: 'abc', peer: 'src-1', direction: 'backup' })).toThrow(/malformed/);
    expect(() => book.redeem({ ticket: 42, peer: 'src-1', direction: 'backup' })).toThrow(/malformed/);
    expect(() => book.redeem({ ticket: 'a'.repeat(64), peer: 'src-1', direction: 'backup' })).toThrow(/unknown/);
  });
});
