import { existsSync } from 'node:fs';
import { FfError, loadInventory, type Inventory } from '@freezeframe/common';

/**
 * The director's inventory from `-i FILE` (`flag`) or FREEZEFRAME_INVENTORY (`env`): a file
 * that is not there is said so, naming the file and where its name came from, instead of a
 * bare ENOENT; everything else is loadInventory's to check.
 */
export function openInventory(flag: string | undefined, env: string | undefined): Inventory {
  const file = flag ?? env;
  if (!file) throw new FfError('CONFIG_INVALID', 'no inventory given', { hint: 'pass -i inventory.yaml or set FREEZEFRAME_INVENTORY' });
  if (!existsSync(file)) {
    const from = flag !== undefined ? '-i' : 'FREEZEFRAME_INVENTORY';
    throw new FfError('CONFIG_INVALID', `inventory ${file} (from ${from}) does not exist`, {
      details: { file },
      hint: `pass -i FILE or set FREEZEFRAME_INVENTORY to the director's inventory (a path relative to ${process.cwd()} or absolute)`,
    });
  }
  return loadInventory(file);
}
