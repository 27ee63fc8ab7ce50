import type { Check } from '../checks.js';
import type { FreezeProvider } from './types.js';

/** Nothing to pause on this node (the lease and the freeze window still work). */
export class NoneFreeze implements FreezeProvider {
  readonly kind = 'none';
  async freeze(): Promise<string[]> {
    return [];
  }
  async thaw(): Promise<string[]> {
    return [];
  }
  async checks(): Promise<Check[]> {
    return [];
  }
}
