// Original file: proto/freezeframe/v1/agent.proto

export const Direction = {
  DIRECTION_UNSPECIFIED: 'DIRECTION_UNSPECIFIED',
  /**
   * source -> target
   */
  DIRECTION_BACKUP: 'DIRECTION_BACKUP',
  /**
   * target -> source
   */
  DIRECTION_RESTORE: 'DIRECTION_RESTORE',
  /**
   * main target -> remote target (a zfs/btrfs stream, not rsync)
   */
  DIRECTION_REPLICATE: 'DIRECTION_REPLICATE',
} as const;

export type Direction =
  | 'DIRECTION_UNSPECIFIED'
  | 0
  /**
   * source -> target
   */
  | 'DIRECTION_BACKUP'
  | 1
  /**
   * target -> source
   */
  | 'DIRECTION_RESTORE'
  | 2
  /**
   * main target -> remote target (a zfs/btrfs stream, not rsync)
   */
  | 'DIRECTION_REPLICATE'
  | 3

export type Direction__Output = typeof Direction[keyof typeof Direction]
