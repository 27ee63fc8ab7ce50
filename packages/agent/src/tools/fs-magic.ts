/**
 * statfs(2) f_type of the file systems the agent tells apart (linux/magic.h; ZFS on Linux's
 * from its own headers). ext2 and ext3 share ext4's.
 */
export const FS_MAGIC = {
  ext4: 0xef53,
  xfs: 0x58465342,
  btrfs: 0x9123683e,
  tmpfs: 0x01021994,
  zfs: 0x2fc12fc1,
} as const;
