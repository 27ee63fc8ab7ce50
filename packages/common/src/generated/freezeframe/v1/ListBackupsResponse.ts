// Original file: proto/freezeframe/v1/agent.proto

import type { BackupInfo as _freezeframe_v1_BackupInfo, BackupInfo__Output as _freezeframe_v1_BackupInfo__Output } from '../../freezeframe/v1/BackupInfo.js';

export interface ListBackupsResponse {
  'backups'?: (_freezeframe_v1_BackupInfo)[];
}

export interface ListBackupsResponse__Output {
  'backups': (_freezeframe_v1_BackupInfo__Output)[];
}
