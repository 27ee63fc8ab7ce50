// Original file: proto/freezeframe/v1/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ActivateBackupRequest as _freezeframe_v1_ActivateBackupRequest, ActivateBackupRequest__Output as _freezeframe_v1_ActivateBackupRequest__Output } from '../../freezeframe/v1/ActivateBackupRequest.js';
import type { ActivateBackupResponse as _freezeframe_v1_ActivateBackupResponse, ActivateBackupResponse__Output as _freezeframe_v1_ActivateBackupResponse__Output } from '../../freezeframe/v1/ActivateBackupResponse.js';
import type { AddSentChecksumsRequest as _freezeframe_v1_AddSentChecksumsRequest, AddSentChecksumsRequest__Output as _freezeframe_v1_AddSentChecksumsRequest__Output } from '../../freezeframe/v1/AddSentChecksumsRequest.js';
import type { AddSentChecksumsResponse as _freezeframe_v1_AddSentChecksumsResponse, AddSentChecksumsResponse__Output as _freezeframe_v1_AddSentChecksumsResponse__Output } from '../../freezeframe/v1/AddSentChecksumsResponse.js';
import type { CheckDrillRequest as _freezeframe_v1_CheckDrillRequest, CheckDrillRequest__Output as _freezeframe_v1_CheckDrillRequest__Output } from '../../freezeframe/v1/CheckDrillRequest.js';
import type { CheckDrillResponse as _freezeframe_v1_CheckDrillResponse, CheckDrillResponse__Output as _freezeframe_v1_CheckDrillResponse__Output } from '../../freezeframe/v1/CheckDrillResponse.js';
import type { CleanupRequest as _freezeframe_v1_CleanupRequest, CleanupRequest__Output as _freezeframe_v1_CleanupRequest__Output } from '../../freezeframe/v1/CleanupRequest.js';
import type { CleanupResponse as _freezeframe_v1_CleanupResponse, CleanupResponse__Output as _freezeframe_v1_CleanupResponse__Output } from '../../freezeframe/v1/CleanupResponse.js';
import type { DeactivateBackupRequest as _freezeframe_v1_DeactivateBackupRequest, DeactivateBackupRequest__Output as _freezeframe_v1_DeactivateBackupRequest__Output } from '../../freezeframe/v1/DeactivateBackupRequest.js';
import type { DeactivateBackupResponse as _freezeframe_v1_DeactivateBackupResponse, DeactivateBackupResponse__Output as _freezeframe_v1_DeactivateBackupResponse__Output } from '../../freezeframe/v1/DeactivateBackupResponse.js';
import type { DeleteBackupRequest as _freezeframe_v1_DeleteBackupRequest, DeleteBackupRequest__Output as _freezeframe_v1_DeleteBackupRequest__Output } from '../../freezeframe/v1/DeleteBackupRequest.js';
import type { DeleteBackupResponse as _freezeframe_v1_DeleteBackupResponse, DeleteBackupResponse__Output as _freezeframe_v1_DeleteBackupResponse__Output } from '../../freezeframe/v1/DeleteBackupResponse.js';
import type { DescribeRequest as _freezeframe_v1_DescribeRequest, DescribeRequest__Output as _freezeframe_v1_DescribeRequest__Output } from '../../freezeframe/v1/DescribeRequest.js';
import type { DescribeResponse as _freezeframe_v1_DescribeResponse, DescribeResponse__Output as _freezeframe_v1_DescribeResponse__Output } from '../../freezeframe/v1/DescribeResponse.js';
import type { DrillSourceRequest as _freezeframe_v1_DrillSourceRequest, DrillSourceRequest__Output as _freezeframe_v1_DrillSourceRequest__Output } from '../../freezeframe/v1/DrillSourceRequest.js';
import type { FreezeRequest as _freezeframe_v1_FreezeRequest, FreezeRequest__Output as _freezeframe_v1_FreezeRequest__Output } from '../../freezeframe/v1/FreezeRequest.js';
import type { FreezeResponse as _freezeframe_v1_FreezeResponse, FreezeResponse__Output as _freezeframe_v1_FreezeResponse__Output } from '../../freezeframe/v1/FreezeResponse.js';
import type { HealthRequest as _freezeframe_v1_HealthRequest, HealthRequest__Output as _freezeframe_v1_HealthRequest__Output } from '../../freezeframe/v1/HealthRequest.js';
import type { HealthResponse as _freezeframe_v1_HealthResponse, HealthResponse__Output as _freezeframe_v1_HealthResponse__Output } from '../../freezeframe/v1/HealthResponse.js';
import type { ListBackupsRequest as _freezeframe_v1_ListBackupsRequest, ListBackupsRequest__Output as _freezeframe_v1_ListBackupsRequest__Output } from '../../freezeframe/v1/ListBackupsRequest.js';
import type { ListBackupsResponse as _freezeframe_v1_ListBackupsResponse, ListBackupsResponse__Output as _freezeframe_v1_ListBackupsResponse__Output } from '../../freezeframe/v1/ListBackupsResponse.js';
import type { LockTargetRequest as _freezeframe_v1_LockTargetRequest, LockTargetRequest__Output as _freezeframe_v1_LockTargetRequest__Output } from '../../freezeframe/v1/LockTargetRequest.js';
import type { LockTargetResponse as _freezeframe_v1_LockTargetResponse, LockTargetResponse__Output as _freezeframe_v1_LockTargetResponse__Output } from '../../freezeframe/v1/LockTargetResponse.js';
import type { OpenDrillRequest as _freezeframe_v1_OpenDrillRequest, OpenDrillRequest__Output as _freezeframe_v1_OpenDrillRequest__Output } from '../../freezeframe/v1/OpenDrillRequest.js';
import type { OpenReceiveRequest as _freezeframe_v1_OpenReceiveRequest, OpenReceiveRequest__Output as _freezeframe_v1_OpenReceiveRequest__Output } from '../../freezeframe/v1/OpenReceiveRequest.js';
import type { OpenReceiveResponse as _freezeframe_v1_OpenReceiveResponse, OpenReceiveResponse__Output as _freezeframe_v1_OpenReceiveResponse__Output } from '../../freezeframe/v1/OpenReceiveResponse.js';
import type { OpenReplicaReceiveRequest as _freezeframe_v1_OpenReplicaReceiveRequest, OpenReplicaReceiveRequest__Output as _freezeframe_v1_OpenReplicaReceiveRequest__Output } from '../../freezeframe/v1/OpenReplicaReceiveRequest.js';
import type { OpenReplicaReceiveResponse as _freezeframe_v1_OpenReplicaReceiveResponse, OpenReplicaReceiveResponse__Output as _freezeframe_v1_OpenReplicaReceiveResponse__Output } from '../../freezeframe/v1/OpenReplicaReceiveResponse.js';
import type { PerformRsyncRequest as _freezeframe_v1_PerformRsyncRequest, PerformRsyncRequest__Output as _freezeframe_v1_PerformRsyncRequest__Output } from '../../freezeframe/v1/PerformRsyncRequest.js';
import type { PrepareSnapshotRequest as _freezeframe_v1_PrepareSnapshotRequest, PrepareSnapshotRequest__Output as _freezeframe_v1_PrepareSnapshotRequest__Output } from '../../freezeframe/v1/PrepareSnapshotRequest.js';
import type { PrepareSnapshotResponse as _freezeframe_v1_PrepareSnapshotResponse, PrepareSnapshotResponse__Output as _freezeframe_v1_PrepareSnapshotResponse__Output } from '../../freezeframe/v1/PrepareSnapshotResponse.js';
import type { ReceiveResultRequest as _freezeframe_v1_ReceiveResultRequest, ReceiveResultRequest__Output as _freezeframe_v1_ReceiveResultRequest__Output } from '../../freezeframe/v1/ReceiveResultRequest.js';
import type { ReceiveResultResponse as _freezeframe_v1_ReceiveResultResponse, ReceiveResultResponse__Output as _freezeframe_v1_ReceiveResultResponse__Output } from '../../freezeframe/v1/ReceiveResultResponse.js';
import type { RemoveDrillRequest as _freezeframe_v1_RemoveDrillRequest, RemoveDrillRequest__Output as _freezeframe_v1_RemoveDrillRequest__Output } from '../../freezeframe/v1/RemoveDrillRequest.js';
import type { RemoveDrillResponse as _freezeframe_v1_RemoveDrillResponse, RemoveDrillResponse__Output as _freezeframe_v1_RemoveDrillResponse__Output } from '../../freezeframe/v1/RemoveDrillResponse.js';
import type { RemoveSnapshotRequest as _freezeframe_v1_RemoveSnapshotRequest, RemoveSnapshotRequest__Output as _freezeframe_v1_RemoveSnapshotRequest__Output } from '../../freezeframe/v1/RemoveSnapshotRequest.js';
import type { RemoveSnapshotResponse as _freezeframe_v1_RemoveSnapshotResponse, RemoveSnapshotResponse__Output as _freezeframe_v1_RemoveSnapshotResponse__Output } from '../../freezeframe/v1/RemoveSnapshotResponse.js';
import type { ReplicaSendRequest as _freezeframe_v1_ReplicaSendRequest, ReplicaSendRequest__Output as _freezeframe_v1_ReplicaSendRequest__Output } from '../../freezeframe/v1/ReplicaSendRequest.js';
import type { ReplicaSizeRequest as _freezeframe_v1_ReplicaSizeRequest, ReplicaSizeRequest__Output as _freezeframe_v1_ReplicaSizeRequest__Output } from '../../freezeframe/v1/ReplicaSizeRequest.js';
import type { ReplicaSizeResponse as _freezeframe_v1_ReplicaSizeResponse, ReplicaSizeResponse__Output as _freezeframe_v1_ReplicaSizeResponse__Output } from '../../freezeframe/v1/ReplicaSizeResponse.js';
import type { RestoreKeyspaceRequest as _freezeframe_v1_RestoreKeyspaceRequest, RestoreKeyspaceRequest__Output as _freezeframe_v1_RestoreKeyspaceRequest__Output } from '../../freezeframe/v1/RestoreKeyspaceRequest.js';
import type { RestoreKeyspaceStep as _freezeframe_v1_RestoreKeyspaceStep, RestoreKeyspaceStep__Output as _freezeframe_v1_RestoreKeyspaceStep__Output } from '../../freezeframe/v1/RestoreKeyspaceStep.js';
import type { RestoreSourceRequest as _freezeframe_v1_RestoreSourceRequest, RestoreSourceRequest__Output as _freezeframe_v1_RestoreSourceRequest__Output } from '../../freezeframe/v1/RestoreSourceRequest.js';
import type { SentChecksumsRequest as _freezeframe_v1_SentChecksumsRequest, SentChecksumsRequest__Output as _freezeframe_v1_SentChecksumsRequest__Output } from '../../freezeframe/v1/SentChecksumsRequest.js';
import type { SentChecksumsResponse as _freezeframe_v1_SentChecksumsResponse, SentChecksumsResponse__Output as _freezeframe_v1_SentChecksumsResponse__Output } from '../../freezeframe/v1/SentChecksumsResponse.js';
import type { StartServicesRequest as _freezeframe_v1_StartServicesRequest, StartServicesRequest__Output as _freezeframe_v1_StartServicesRequest__Output } from '../../freezeframe/v1/StartServicesRequest.js';
import type { StartServicesResponse as _freezeframe_v1_StartServicesResponse, StartServicesResponse__Output as _freezeframe_v1_StartServicesResponse__Output } from '../../freezeframe/v1/StartServicesResponse.js';
import type { StopServicesRequest as _freezeframe_v1_StopServicesRequest, StopServicesRequest__Output as _freezeframe_v1_StopServicesRequest__Output } from '../../freezeframe/v1/StopServicesRequest.js';
import type { StopServicesResponse as _freezeframe_v1_StopServicesResponse, StopServicesResponse__Output as _freezeframe_v1_StopServicesResponse__Output } from '../../freezeframe/v1/StopServicesResponse.js';
import type { ThawRequest as _freezeframe_v1_ThawRequest, ThawRequest__Output as _freezeframe_v1_ThawRequest__Output } from '../../freezeframe/v1/ThawRequest.js';
import type { ThawResponse as _freezeframe_v1_ThawResponse, ThawResponse__Output as _freezeframe_v1_ThawResponse__Output } from '../../freezeframe/v1/ThawResponse.js';
import type { TransferProgress as _freezeframe_v1_TransferProgress, TransferProgress__Output as _freezeframe_v1_TransferProgress__Output } from '../../freezeframe/v1/TransferProgress.js';
import type { UnlockTargetRequest as _freezeframe_v1_UnlockTargetRequest, UnlockTargetRequest__Output as _freezeframe_v1_UnlockTargetRequest__Output } from '../../freezeframe/v1/UnlockTargetRequest.js';
import type { UnlockTargetResponse as _freezeframe_v1_UnlockTargetResponse, UnlockTargetResponse__Output as _freezeframe_v1_UnlockTargetResponse__Output } from '../../freezeframe/v1/UnlockTargetResponse.js';
import type { VerifyBackupRequest as _freezeframe_v1_VerifyBackupRequest, VerifyBackupRequest__Output as _freezeframe_v1_VerifyBackupRequest__Output } from '../../freezeframe/v1/VerifyBackupRequest.js';
import type { VerifyBackupResponse as _freezeframe_v1_VerifyBackupResponse, VerifyBackupResponse__Output as _freezeframe_v1_VerifyBackupResponse__Output } from '../../freezeframe/v1/VerifyBackupResponse.js';
import type { VolumeActivityRequest as _freezeframe_v1_VolumeActivityRequest, VolumeActivityRequest__Output as _freezeframe_v1_VolumeActivityRequest__Output } from '../../freezeframe/v1/VolumeActivityRequest.js';
import type { VolumeActivityResponse as _freezeframe_v1_VolumeActivityResponse, VolumeActivityResponse__Output as _freezeframe_v1_VolumeActivityResponse__Output } from '../../freezeframe/v1/VolumeActivityResponse.js';
import type { ZfsTagRequest as _freezeframe_v1_ZfsTagRequest, ZfsTagRequest__Output as _freezeframe_v1_ZfsTagRequest__Output } from '../../freezeframe/v1/ZfsTagRequest.js';
import type { ZfsTagResponse as _freezeframe_v1_ZfsTagResponse, ZfsTagResponse__Output as _freezeframe_v1_ZfsTagResponse__Output } from '../../freezeframe/v1/ZfsTagResponse.js';

export interface AgentClient extends grpc.Client {
  /**
   * Target: makes a backup readable for restore (ZFS clone) and releases it again.
   */
  ActivateBackup(argument: _freezeframe_v1_ActivateBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ActivateBackupResponse__Output>): grpc.ClientUnaryCall;
  ActivateBackup(argument: _freezeframe_v1_ActivateBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_ActivateBackupResponse__Output>): grpc.ClientUnaryCall;
  ActivateBackup(argument: _freezeframe_v1_ActivateBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ActivateBackupResponse__Output>): grpc.ClientUnaryCall;
  ActivateBackup(argument: _freezeframe_v1_ActivateBackupRequest, callback: grpc.requestCallback<_freezeframe_v1_ActivateBackupResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Target: makes a backup readable for restore (ZFS clone) and releases it again.
   */
  activateBackup(argument: _freezeframe_v1_ActivateBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ActivateBackupResponse__Output>): grpc.ClientUnaryCall;
  activateBackup(argument: _freezeframe_v1_ActivateBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_ActivateBackupResponse__Output>): grpc.ClientUnaryCall;
  activateBackup(argument: _freezeframe_v1_ActivateBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ActivateBackupResponse__Output>): grpc.ClientUnaryCall;
  activateBackup(argument: _freezeframe_v1_ActivateBackupRequest, callback: grpc.requestCallback<_freezeframe_v1_ActivateBackupResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Target: stores one page of a source's list for the backup it receives.
   */
  AddSentChecksums(argument: _freezeframe_v1_AddSentChecksumsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_AddSentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  AddSentChecksums(argument: _freezeframe_v1_AddSentChecksumsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_AddSentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  AddSentChecksums(argument: _freezeframe_v1_AddSentChecksumsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_AddSentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  AddSentChecksums(argument: _freezeframe_v1_AddSentChecksumsRequest, callback: grpc.requestCallback<_freezeframe_v1_AddSentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Target: stores one page of a source's list for the backup it receives.
   */
  addSentChecksums(argument: _freezeframe_v1_AddSentChecksumsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_AddSentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  addSentChecksums(argument: _freezeframe_v1_AddSentChecksumsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_AddSentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  addSentChecksums(argument: _freezeframe_v1_AddSentChecksumsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_AddSentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  addSentChecksums(argument: _freezeframe_v1_AddSentChecksumsRequest, callback: grpc.requestCallback<_freezeframe_v1_AddSentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Drill node: hashes the restored files (never following a link) and compares them with the
   * checksums recorded at backup time.
   */
  CheckDrill(argument: _freezeframe_v1_CheckDrillRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_CheckDrillResponse__Output>): grpc.ClientUnaryCall;
  CheckDrill(argument: _freezeframe_v1_CheckDrillRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_CheckDrillResponse__Output>): grpc.ClientUnaryCall;
  CheckDrill(argument: _freezeframe_v1_CheckDrillRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_CheckDrillResponse__Output>): grpc.ClientUnaryCall;
  CheckDrill(argument: _freezeframe_v1_CheckDrillRequest, callback: grpc.requestCallback<_freezeframe_v1_CheckDrillResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Drill node: hashes the restored files (never following a link) and compares them with the
   * checksums recorded at backup time.
   */
  checkDrill(argument: _freezeframe_v1_CheckDrillRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_CheckDrillResponse__Output>): grpc.ClientUnaryCall;
  checkDrill(argument: _freezeframe_v1_CheckDrillRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_CheckDrillResponse__Output>): grpc.ClientUnaryCall;
  checkDrill(argument: _freezeframe_v1_CheckDrillRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_CheckDrillResponse__Output>): grpc.ClientUnaryCall;
  checkDrill(argument: _freezeframe_v1_CheckDrillRequest, callback: grpc.requestCallback<_freezeframe_v1_CheckDrillResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Removes what runs other than `keep` left behind: source snapshots and their mounts, restore
   * clones, freezes. Idempotent: a second call finds nothing.
   */
  Cleanup(argument: _freezeframe_v1_CleanupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  Cleanup(argument: _freezeframe_v1_CleanupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  Cleanup(argument: _freezeframe_v1_CleanupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  Cleanup(argument: _freezeframe_v1_CleanupRequest, callback: grpc.requestCallback<_freezeframe_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Removes what runs other than `keep` left behind: source snapshots and their mounts, restore
   * clones, freezes. Idempotent: a second call finds nothing.
   */
  cleanup(argument: _freezeframe_v1_CleanupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  cleanup(argument: _freezeframe_v1_CleanupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  cleanup(argument: _freezeframe_v1_CleanupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  cleanup(argument: _freezeframe_v1_CleanupRequest, callback: grpc.requestCallback<_freezeframe_v1_CleanupResponse__Output>): grpc.ClientUnaryCall;
  
  DeactivateBackup(argument: _freezeframe_v1_DeactivateBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_DeactivateBackupResponse__Output>): grpc.ClientUnaryCall;
  DeactivateBackup(argument: _freezeframe_v1_DeactivateBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_DeactivateBackupResponse__Output>): grpc.ClientUnaryCall;
  DeactivateBackup(argument: _freezeframe_v1_DeactivateBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_DeactivateBackupResponse__Output>): grpc.ClientUnaryCall;
  DeactivateBackup(argument: _freezeframe_v1_DeactivateBackupRequest, callback: grpc.requestCallback<_freezeframe_v1_DeactivateBackupResponse__Output>): grpc.ClientUnaryCall;
  deactivateBackup(argument: _freezeframe_v1_DeactivateBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_DeactivateBackupResponse__Output>): grpc.ClientUnaryCall;
  deactivateBackup(argument: _freezeframe_v1_DeactivateBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_DeactivateBackupResponse__Output>): grpc.ClientUnaryCall;
  deactivateBackup(argument: _freezeframe_v1_DeactivateBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_DeactivateBackupResponse__Output>): grpc.ClientUnaryCall;
  deactivateBackup(argument: _freezeframe_v1_DeactivateBackupRequest, callback: grpc.requestCallback<_freezeframe_v1_DeactivateBackupResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Target: deletes one tagged backup (ZFS: destroys <dataset>@<id>; dir: removes its tree), for
   * retention. Refused (FAILED_PRECONDITION) while the backup is activated or being restored or
   * verified. Idempotent: a backup that does not exist gives deleted = false.
   */
  DeleteBackup(argument: _freezeframe_v1_DeleteBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  DeleteBackup(argument: _freezeframe_v1_DeleteBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  DeleteBackup(argument: _freezeframe_v1_DeleteBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  DeleteBackup(argument: _freezeframe_v1_DeleteBackupRequest, callback: grpc.requestCallback<_freezeframe_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Target: deletes one tagged backup (ZFS: destroys <dataset>@<id>; dir: removes its tree), for
   * retention. Refused (FAILED_PRECONDITION) while the backup is activated or being restored or
   * verified. Idempotent: a backup that does not exist gives deleted = false.
   */
  deleteBackup(argument: _freezeframe_v1_DeleteBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  deleteBackup(argument: _freezeframe_v1_DeleteBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  deleteBackup(argument: _freezeframe_v1_DeleteBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  deleteBackup(argument: _freezeframe_v1_DeleteBackupRequest, callback: grpc.requestCallback<_freezeframe_v1_DeleteBackupResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Name, roles, version, capabilities, free space.
   */
  Describe(argument: _freezeframe_v1_DescribeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_DescribeResponse__Output>): grpc.ClientUnaryCall;
  Describe(argument: _freezeframe_v1_DescribeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_DescribeResponse__Output>): grpc.ClientUnaryCall;
  Describe(argument: _freezeframe_v1_DescribeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_DescribeResponse__Output>): grpc.ClientUnaryCall;
  Describe(argument: _freezeframe_v1_DescribeRequest, callback: grpc.requestCallback<_freezeframe_v1_DescribeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Name, roles, version, capabilities, free space.
   */
  describe(argument: _freezeframe_v1_DescribeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_DescribeResponse__Output>): grpc.ClientUnaryCall;
  describe(argument: _freezeframe_v1_DescribeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_DescribeResponse__Output>): grpc.ClientUnaryCall;
  describe(argument: _freezeframe_v1_DescribeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_DescribeResponse__Output>): grpc.ClientUnaryCall;
  describe(argument: _freezeframe_v1_DescribeRequest, callback: grpc.requestCallback<_freezeframe_v1_DescribeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Target: sends an activated backup to a drill ticket: every entry, or a sample of its files
   * chosen by the target from the backup's checksum record, and that record.
   */
  DrillSource(argument: _freezeframe_v1_DrillSourceRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  DrillSource(argument: _freezeframe_v1_DrillSourceRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  /**
   * Target: sends an activated backup to a drill ticket: every entry, or a sample of its files
   * chosen by the target from the backup's checksum record, and that record.
   */
  drillSource(argument: _freezeframe_v1_DrillSourceRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  drillSource(argument: _freezeframe_v1_DrillSourceRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  
  /**
   * Pauses this node's applications and arms a lease; calling it again with the same
   * backup id renews the lease. The agent thaws by itself when the lease expires.
   */
  Freeze(argument: _freezeframe_v1_FreezeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_FreezeResponse__Output>): grpc.ClientUnaryCall;
  Freeze(argument: _freezeframe_v1_FreezeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_FreezeResponse__Output>): grpc.ClientUnaryCall;
  Freeze(argument: _freezeframe_v1_FreezeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_FreezeResponse__Output>): grpc.ClientUnaryCall;
  Freeze(argument: _freezeframe_v1_FreezeRequest, callback: grpc.requestCallback<_freezeframe_v1_FreezeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Pauses this node's applications and arms a lease; calling it again with the same
   * backup id renews the lease. The agent thaws by itself when the lease expires.
   */
  freeze(argument: _freezeframe_v1_FreezeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_FreezeResponse__Output>): grpc.ClientUnaryCall;
  freeze(argument: _freezeframe_v1_FreezeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_FreezeResponse__Output>): grpc.ClientUnaryCall;
  freeze(argument: _freezeframe_v1_FreezeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_FreezeResponse__Output>): grpc.ClientUnaryCall;
  freeze(argument: _freezeframe_v1_FreezeRequest, callback: grpc.requestCallback<_freezeframe_v1_FreezeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Liveness and readiness: version, roles, free space, target lock.
   */
  Health(argument: _freezeframe_v1_HealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _freezeframe_v1_HealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _freezeframe_v1_HealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _freezeframe_v1_HealthRequest, callback: grpc.requestCallback<_freezeframe_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Liveness and readiness: version, roles, free space, target lock.
   */
  health(argument: _freezeframe_v1_HealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _freezeframe_v1_HealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _freezeframe_v1_HealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _freezeframe_v1_HealthRequest, callback: grpc.requestCallback<_freezeframe_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  
  ListBackups(argument: _freezeframe_v1_ListBackupsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _freezeframe_v1_ListBackupsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _freezeframe_v1_ListBackupsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _freezeframe_v1_ListBackupsRequest, callback: grpc.requestCallback<_freezeframe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _freezeframe_v1_ListBackupsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _freezeframe_v1_ListBackupsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _freezeframe_v1_ListBackupsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _freezeframe_v1_ListBackupsRequest, callback: grpc.requestCallback<_freezeframe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Target: takes (or renews) the target lock for one backup, restore or cleanup run, so two
   * runs never interleave on one target. Refused while another holder's lock is unexpired; a
   * lock whose holder died expires after lease_ms.
   */
  LockTarget(argument: _freezeframe_v1_LockTargetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_LockTargetResponse__Output>): grpc.ClientUnaryCall;
  LockTarget(argument: _freezeframe_v1_LockTargetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_LockTargetResponse__Output>): grpc.ClientUnaryCall;
  LockTarget(argument: _freezeframe_v1_LockTargetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_LockTargetResponse__Output>): grpc.ClientUnaryCall;
  LockTarget(argument: _freezeframe_v1_LockTargetRequest, callback: grpc.requestCallback<_freezeframe_v1_LockTargetResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Target: takes (or renews) the target lock for one backup, restore or cleanup run, so two
   * runs never interleave on one target. Refused while another holder's lock is unexpired; a
   * lock whose holder died expires after lease_ms.
   */
  lockTarget(argument: _freezeframe_v1_LockTargetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_LockTargetResponse__Output>): grpc.ClientUnaryCall;
  lockTarget(argument: _freezeframe_v1_LockTargetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_LockTargetResponse__Output>): grpc.ClientUnaryCall;
  lockTarget(argument: _freezeframe_v1_LockTargetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_LockTargetResponse__Output>): grpc.ClientUnaryCall;
  lockTarget(argument: _freezeframe_v1_LockTargetRequest, callback: grpc.requestCallback<_freezeframe_v1_LockTargetResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Restore drills (`freezeframe drill`): a backup restored into a scratch folder on a drill node
   * and compared there with the checksums recorded at backup time.
   * Drill node: makes the drill's folder <dir>/<drill_id> (0700; dir must lie inside one of the
   * agent's restoreDirs, with no '..' and no symbolic link on its path) and issues a one-time
   * ticket (direction restore) for the target to send the backup into it.
   */
  OpenDrill(argument: _freezeframe_v1_OpenDrillRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  OpenDrill(argument: _freezeframe_v1_OpenDrillRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  OpenDrill(argument: _freezeframe_v1_OpenDrillRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  OpenDrill(argument: _freezeframe_v1_OpenDrillRequest, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Restore drills (`freezeframe drill`): a backup restored into a scratch folder on a drill node
   * and compared there with the checksums recorded at backup time.
   * Drill node: makes the drill's folder <dir>/<drill_id> (0700; dir must lie inside one of the
   * agent's restoreDirs, with no '..' and no symbolic link on its path) and issues a one-time
   * ticket (direction restore) for the target to send the backup into it.
   */
  openDrill(argument: _freezeframe_v1_OpenDrillRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  openDrill(argument: _freezeframe_v1_OpenDrillRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  openDrill(argument: _freezeframe_v1_OpenDrillRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  openDrill(argument: _freezeframe_v1_OpenDrillRequest, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Receiver (target for backups, source for restores): issues a one-time ticket for the
   * data channel, bound to backup id, source, direction and the sending peer's identity.
   */
  OpenReceive(argument: _freezeframe_v1_OpenReceiveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  OpenReceive(argument: _freezeframe_v1_OpenReceiveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  OpenReceive(argument: _freezeframe_v1_OpenReceiveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  OpenReceive(argument: _freezeframe_v1_OpenReceiveRequest, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Receiver (target for backups, source for restores): issues a one-time ticket for the
   * data channel, bound to backup id, source, direction and the sending peer's identity.
   */
  openReceive(argument: _freezeframe_v1_OpenReceiveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  openReceive(argument: _freezeframe_v1_OpenReceiveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  openReceive(argument: _freezeframe_v1_OpenReceiveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  openReceive(argument: _freezeframe_v1_OpenReceiveRequest, callback: grpc.requestCallback<_freezeframe_v1_OpenReceiveResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Replication (`freezeframe replicate`): a target's backups copied to a remote target as
   * filesystem streams (zfs send | zfs recv, btrfs send | btrfs receive) through the data channel.
   * Remote target: issues a one-time ticket for one stream from `peer`, who must be the identity
   * its target.replicaOf names. The remote alone decides where the stream lands (its own dataset or
   * folder) and how it is received; the stream must carry backup_id, incremental from base_id.
   */
  OpenReplicaReceive(argument: _freezeframe_v1_OpenReplicaReceiveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_OpenReplicaReceiveResponse__Output>): grpc.ClientUnaryCall;
  OpenReplicaReceive(argument: _freezeframe_v1_OpenReplicaReceiveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_OpenReplicaReceiveResponse__Output>): grpc.ClientUnaryCall;
  OpenReplicaReceive(argument: _freezeframe_v1_OpenReplicaReceiveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_OpenReplicaReceiveResponse__Output>): grpc.ClientUnaryCall;
  OpenReplicaReceive(argument: _freezeframe_v1_OpenReplicaReceiveRequest, callback: grpc.requestCallback<_freezeframe_v1_OpenReplicaReceiveResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Replication (`freezeframe replicate`): a target's backups copied to a remote target as
   * filesystem streams (zfs send | zfs recv, btrfs send | btrfs receive) through the data channel.
   * Remote target: issues a one-time ticket for one stream from `peer`, who must be the identity
   * its target.replicaOf names. The remote alone decides where the stream lands (its own dataset or
   * folder) and how it is received; the stream must carry backup_id, incremental from base_id.
   */
  openReplicaReceive(argument: _freezeframe_v1_OpenReplicaReceiveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_OpenReplicaReceiveResponse__Output>): grpc.ClientUnaryCall;
  openReplicaReceive(argument: _freezeframe_v1_OpenReplicaReceiveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_OpenReplicaReceiveResponse__Output>): grpc.ClientUnaryCall;
  openReplicaReceive(argument: _freezeframe_v1_OpenReplicaReceiveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_OpenReplicaReceiveResponse__Output>): grpc.ClientUnaryCall;
  openReplicaReceive(argument: _freezeframe_v1_OpenReplicaReceiveRequest, callback: grpc.requestCallback<_freezeframe_v1_OpenReplicaReceiveResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Source: sends the snapshot to a receiving agent through the data channel; streams progress.
   */
  PerformRsync(argument: _freezeframe_v1_PerformRsyncRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  PerformRsync(argument: _freezeframe_v1_PerformRsyncRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  /**
   * Source: sends the snapshot to a receiving agent through the data channel; streams progress.
   */
  performRsync(argument: _freezeframe_v1_PerformRsyncRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  performRsync(argument: _freezeframe_v1_PerformRsyncRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  
  /**
   * Source: takes the point-in-time snapshot of this node's volume.
   */
  PrepareSnapshot(argument: _freezeframe_v1_PrepareSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_PrepareSnapshotResponse__Output>): grpc.ClientUnaryCall;
  PrepareSnapshot(argument: _freezeframe_v1_PrepareSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_PrepareSnapshotResponse__Output>): grpc.ClientUnaryCall;
  PrepareSnapshot(argument: _freezeframe_v1_PrepareSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_PrepareSnapshotResponse__Output>): grpc.ClientUnaryCall;
  PrepareSnapshot(argument: _freezeframe_v1_PrepareSnapshotRequest, callback: grpc.requestCallback<_freezeframe_v1_PrepareSnapshotResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Source: takes the point-in-time snapshot of this node's volume.
   */
  prepareSnapshot(argument: _freezeframe_v1_PrepareSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_PrepareSnapshotResponse__Output>): grpc.ClientUnaryCall;
  prepareSnapshot(argument: _freezeframe_v1_PrepareSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_PrepareSnapshotResponse__Output>): grpc.ClientUnaryCall;
  prepareSnapshot(argument: _freezeframe_v1_PrepareSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_PrepareSnapshotResponse__Output>): grpc.ClientUnaryCall;
  prepareSnapshot(argument: _freezeframe_v1_PrepareSnapshotRequest, callback: grpc.requestCallback<_freezeframe_v1_PrepareSnapshotResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Receiver: how the session of one ticket ended: the receiving rsync's exit status and what it
   * could not store. A transfer counts only when both ends succeeded: the sending side sees a
   * closed connection either way. Waits up to wait_ms for a session still running.
   */
  ReceiveResult(argument: _freezeframe_v1_ReceiveResultRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ReceiveResultResponse__Output>): grpc.ClientUnaryCall;
  ReceiveResult(argument: _freezeframe_v1_ReceiveResultRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_ReceiveResultResponse__Output>): grpc.ClientUnaryCall;
  ReceiveResult(argument: _freezeframe_v1_ReceiveResultRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ReceiveResultResponse__Output>): grpc.ClientUnaryCall;
  ReceiveResult(argument: _freezeframe_v1_ReceiveResultRequest, callback: grpc.requestCallback<_freezeframe_v1_ReceiveResultResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Receiver: how the session of one ticket ended: the receiving rsync's exit status and what it
   * could not store. A transfer counts only when both ends succeeded: the sending side sees a
   * closed connection either way. Waits up to wait_ms for a session still running.
   */
  receiveResult(argument: _freezeframe_v1_ReceiveResultRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ReceiveResultResponse__Output>): grpc.ClientUnaryCall;
  receiveResult(argument: _freezeframe_v1_ReceiveResultRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_ReceiveResultResponse__Output>): grpc.ClientUnaryCall;
  receiveResult(argument: _freezeframe_v1_ReceiveResultRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ReceiveResultResponse__Output>): grpc.ClientUnaryCall;
  receiveResult(argument: _freezeframe_v1_ReceiveResultRequest, callback: grpc.requestCallback<_freezeframe_v1_ReceiveResultResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Drill node: deletes the drill's folder, or with `leftovers` every drill folder in dir.
   * Idempotent.
   */
  RemoveDrill(argument: _freezeframe_v1_RemoveDrillRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_RemoveDrillResponse__Output>): grpc.ClientUnaryCall;
  RemoveDrill(argument: _freezeframe_v1_RemoveDrillRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_RemoveDrillResponse__Output>): grpc.ClientUnaryCall;
  RemoveDrill(argument: _freezeframe_v1_RemoveDrillRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_RemoveDrillResponse__Output>): grpc.ClientUnaryCall;
  RemoveDrill(argument: _freezeframe_v1_RemoveDrillRequest, callback: grpc.requestCallback<_freezeframe_v1_RemoveDrillResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Drill node: deletes the drill's folder, or with `leftovers` every drill folder in dir.
   * Idempotent.
   */
  removeDrill(argument: _freezeframe_v1_RemoveDrillRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_RemoveDrillResponse__Output>): grpc.ClientUnaryCall;
  removeDrill(argument: _freezeframe_v1_RemoveDrillRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_RemoveDrillResponse__Output>): grpc.ClientUnaryCall;
  removeDrill(argument: _freezeframe_v1_RemoveDrillRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_RemoveDrillResponse__Output>): grpc.ClientUnaryCall;
  removeDrill(argument: _freezeframe_v1_RemoveDrillRequest, callback: grpc.requestCallback<_freezeframe_v1_RemoveDrillResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Source: removes the snapshot (and its mount) of a backup. Idempotent.
   */
  RemoveSnapshot(argument: _freezeframe_v1_RemoveSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_RemoveSnapshotResponse__Output>): grpc.ClientUnaryCall;
  RemoveSnapshot(argument: _freezeframe_v1_RemoveSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_RemoveSnapshotResponse__Output>): grpc.ClientUnaryCall;
  RemoveSnapshot(argument: _freezeframe_v1_RemoveSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_RemoveSnapshotResponse__Output>): grpc.ClientUnaryCall;
  RemoveSnapshot(argument: _freezeframe_v1_RemoveSnapshotRequest, callback: grpc.requestCallback<_freezeframe_v1_RemoveSnapshotResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Source: removes the snapshot (and its mount) of a backup. Idempotent.
   */
  removeSnapshot(argument: _freezeframe_v1_RemoveSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_RemoveSnapshotResponse__Output>): grpc.ClientUnaryCall;
  removeSnapshot(argument: _freezeframe_v1_RemoveSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_RemoveSnapshotResponse__Output>): grpc.ClientUnaryCall;
  removeSnapshot(argument: _freezeframe_v1_RemoveSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_RemoveSnapshotResponse__Output>): grpc.ClientUnaryCall;
  removeSnapshot(argument: _freezeframe_v1_RemoveSnapshotRequest, callback: grpc.requestCallback<_freezeframe_v1_RemoveSnapshotResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Main target: sends one backup as a stream (incremental from base_id) to the remote's data
   * channel with the remote's ticket; streams progress. The remote's verdict comes from its
   * ReceiveResult, as for rsync.
   */
  ReplicaSend(argument: _freezeframe_v1_ReplicaSendRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  ReplicaSend(argument: _freezeframe_v1_ReplicaSendRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  /**
   * Main target: sends one backup as a stream (incremental from base_id) to the remote's data
   * channel with the remote's ticket; streams progress. The remote's verdict comes from its
   * ReceiveResult, as for rsync.
   */
  replicaSend(argument: _freezeframe_v1_ReplicaSendRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  replicaSend(argument: _freezeframe_v1_ReplicaSendRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  
  /**
   * Main target: about how many bytes ReplicaSend would send (`replicate --dry-run`).
   */
  ReplicaSize(argument: _freezeframe_v1_ReplicaSizeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ReplicaSizeResponse__Output>): grpc.ClientUnaryCall;
  ReplicaSize(argument: _freezeframe_v1_ReplicaSizeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_ReplicaSizeResponse__Output>): grpc.ClientUnaryCall;
  ReplicaSize(argument: _freezeframe_v1_ReplicaSizeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ReplicaSizeResponse__Output>): grpc.ClientUnaryCall;
  ReplicaSize(argument: _freezeframe_v1_ReplicaSizeRequest, callback: grpc.requestCallback<_freezeframe_v1_ReplicaSizeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Main target: about how many bytes ReplicaSend would send (`replicate --dry-run`).
   */
  replicaSize(argument: _freezeframe_v1_ReplicaSizeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ReplicaSizeResponse__Output>): grpc.ClientUnaryCall;
  replicaSize(argument: _freezeframe_v1_ReplicaSizeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_ReplicaSizeResponse__Output>): grpc.ClientUnaryCall;
  replicaSize(argument: _freezeframe_v1_ReplicaSizeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ReplicaSizeResponse__Output>): grpc.ClientUnaryCall;
  replicaSize(argument: _freezeframe_v1_ReplicaSizeRequest, callback: grpc.requestCallback<_freezeframe_v1_ReplicaSizeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Source (cassandra): restores keyspaces from the backup staged on this node (OpenReceive
   * RESTORE + RestoreSource first): stop Cassandra, clear the commit log, replace each table's
   * sstables, start, wait, repair. One message per step; the last has `done` set.
   */
  RestoreKeyspace(argument: _freezeframe_v1_RestoreKeyspaceRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_RestoreKeyspaceStep__Output>;
  RestoreKeyspace(argument: _freezeframe_v1_RestoreKeyspaceRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_RestoreKeyspaceStep__Output>;
  /**
   * Source (cassandra): restores keyspaces from the backup staged on this node (OpenReceive
   * RESTORE + RestoreSource first): stop Cassandra, clear the commit log, replace each table's
   * sstables, start, wait, repair. One message per step; the last has `done` set.
   */
  restoreKeyspace(argument: _freezeframe_v1_RestoreKeyspaceRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_RestoreKeyspaceStep__Output>;
  restoreKeyspace(argument: _freezeframe_v1_RestoreKeyspaceRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_RestoreKeyspaceStep__Output>;
  
  /**
   * Target: pushes one source's tree of an activated backup to that source's data channel.
   */
  RestoreSource(argument: _freezeframe_v1_RestoreSourceRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  RestoreSource(argument: _freezeframe_v1_RestoreSourceRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  /**
   * Target: pushes one source's tree of an activated backup to that source's data channel.
   */
  restoreSource(argument: _freezeframe_v1_RestoreSourceRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  restoreSource(argument: _freezeframe_v1_RestoreSourceRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_freezeframe_v1_TransferProgress__Output>;
  
  /**
   * End-to-end fidelity (docs/reliability.md): the source records each file it sent with the
   * checksum it computed while reading it; the director copies that list page by page to the
   * target, which compares it with what landed before it tags.
   * Source: one page of its list for a backup's entry.
   */
  SentChecksums(argument: _freezeframe_v1_SentChecksumsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_SentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  SentChecksums(argument: _freezeframe_v1_SentChecksumsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_SentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  SentChecksums(argument: _freezeframe_v1_SentChecksumsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_SentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  SentChecksums(argument: _freezeframe_v1_SentChecksumsRequest, callback: grpc.requestCallback<_freezeframe_v1_SentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * End-to-end fidelity (docs/reliability.md): the source records each file it sent with the
   * checksum it computed while reading it; the director copies that list page by page to the
   * target, which compares it with what landed before it tags.
   * Source: one page of its list for a backup's entry.
   */
  sentChecksums(argument: _freezeframe_v1_SentChecksumsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_SentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  sentChecksums(argument: _freezeframe_v1_SentChecksumsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_SentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  sentChecksums(argument: _freezeframe_v1_SentChecksumsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_SentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  sentChecksums(argument: _freezeframe_v1_SentChecksumsRequest, callback: grpc.requestCallback<_freezeframe_v1_SentChecksumsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Starts exactly what StopServices recorded, in reverse order, and forgets the record.
   */
  StartServices(argument: _freezeframe_v1_StartServicesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_StartServicesResponse__Output>): grpc.ClientUnaryCall;
  StartServices(argument: _freezeframe_v1_StartServicesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_StartServicesResponse__Output>): grpc.ClientUnaryCall;
  StartServices(argument: _freezeframe_v1_StartServicesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_StartServicesResponse__Output>): grpc.ClientUnaryCall;
  StartServices(argument: _freezeframe_v1_StartServicesRequest, callback: grpc.requestCallback<_freezeframe_v1_StartServicesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Starts exactly what StopServices recorded, in reverse order, and forgets the record.
   */
  startServices(argument: _freezeframe_v1_StartServicesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_StartServicesResponse__Output>): grpc.ClientUnaryCall;
  startServices(argument: _freezeframe_v1_StartServicesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_StartServicesResponse__Output>): grpc.ClientUnaryCall;
  startServices(argument: _freezeframe_v1_StartServicesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_StartServicesResponse__Output>): grpc.ClientUnaryCall;
  startServices(argument: _freezeframe_v1_StartServicesRequest, callback: grpc.requestCallback<_freezeframe_v1_StartServicesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Stops the configured services (containers, systemd units) in order and records what it stopped.
   */
  StopServices(argument: _freezeframe_v1_StopServicesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_StopServicesResponse__Output>): grpc.ClientUnaryCall;
  StopServices(argument: _freezeframe_v1_StopServicesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_StopServicesResponse__Output>): grpc.ClientUnaryCall;
  StopServices(argument: _freezeframe_v1_StopServicesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_StopServicesResponse__Output>): grpc.ClientUnaryCall;
  StopServices(argument: _freezeframe_v1_StopServicesRequest, callback: grpc.requestCallback<_freezeframe_v1_StopServicesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Stops the configured services (containers, systemd units) in order and records what it stopped.
   */
  stopServices(argument: _freezeframe_v1_StopServicesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_StopServicesResponse__Output>): grpc.ClientUnaryCall;
  stopServices(argument: _freezeframe_v1_StopServicesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_StopServicesResponse__Output>): grpc.ClientUnaryCall;
  stopServices(argument: _freezeframe_v1_StopServicesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_StopServicesResponse__Output>): grpc.ClientUnaryCall;
  stopServices(argument: _freezeframe_v1_StopServicesRequest, callback: grpc.requestCallback<_freezeframe_v1_StopServicesResponse__Output>): grpc.ClientUnaryCall;
  
  Thaw(argument: _freezeframe_v1_ThawRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ThawResponse__Output>): grpc.ClientUnaryCall;
  Thaw(argument: _freezeframe_v1_ThawRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_ThawResponse__Output>): grpc.ClientUnaryCall;
  Thaw(argument: _freezeframe_v1_ThawRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ThawResponse__Output>): grpc.ClientUnaryCall;
  Thaw(argument: _freezeframe_v1_ThawRequest, callback: grpc.requestCallback<_freezeframe_v1_ThawResponse__Output>): grpc.ClientUnaryCall;
  thaw(argument: _freezeframe_v1_ThawRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ThawResponse__Output>): grpc.ClientUnaryCall;
  thaw(argument: _freezeframe_v1_ThawRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_ThawResponse__Output>): grpc.ClientUnaryCall;
  thaw(argument: _freezeframe_v1_ThawRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ThawResponse__Output>): grpc.ClientUnaryCall;
  thaw(argument: _freezeframe_v1_ThawRequest, callback: grpc.requestCallback<_freezeframe_v1_ThawResponse__Output>): grpc.ClientUnaryCall;
  
  UnlockTarget(argument: _freezeframe_v1_UnlockTargetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_UnlockTargetResponse__Output>): grpc.ClientUnaryCall;
  UnlockTarget(argument: _freezeframe_v1_UnlockTargetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_UnlockTargetResponse__Output>): grpc.ClientUnaryCall;
  UnlockTarget(argument: _freezeframe_v1_UnlockTargetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_UnlockTargetResponse__Output>): grpc.ClientUnaryCall;
  UnlockTarget(argument: _freezeframe_v1_UnlockTargetRequest, callback: grpc.requestCallback<_freezeframe_v1_UnlockTargetResponse__Output>): grpc.ClientUnaryCall;
  unlockTarget(argument: _freezeframe_v1_UnlockTargetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_UnlockTargetResponse__Output>): grpc.ClientUnaryCall;
  unlockTarget(argument: _freezeframe_v1_UnlockTargetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_UnlockTargetResponse__Output>): grpc.ClientUnaryCall;
  unlockTarget(argument: _freezeframe_v1_UnlockTargetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_UnlockTargetResponse__Output>): grpc.ClientUnaryCall;
  unlockTarget(argument: _freezeframe_v1_UnlockTargetRequest, callback: grpc.requestCallback<_freezeframe_v1_UnlockTargetResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Target: checks a tagged backup against the per-file checksums recorded when it was tagged
   * (and the pool's health on ZFS).
   */
  VerifyBackup(argument: _freezeframe_v1_VerifyBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_VerifyBackupResponse__Output>): grpc.ClientUnaryCall;
  VerifyBackup(argument: _freezeframe_v1_VerifyBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_VerifyBackupResponse__Output>): grpc.ClientUnaryCall;
  VerifyBackup(argument: _freezeframe_v1_VerifyBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_VerifyBackupResponse__Output>): grpc.ClientUnaryCall;
  VerifyBackup(argument: _freezeframe_v1_VerifyBackupRequest, callback: grpc.requestCallback<_freezeframe_v1_VerifyBackupResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Target: checks a tagged backup against the per-file checksums recorded when it was tagged
   * (and the pool's health on ZFS).
   */
  verifyBackup(argument: _freezeframe_v1_VerifyBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_VerifyBackupResponse__Output>): grpc.ClientUnaryCall;
  verifyBackup(argument: _freezeframe_v1_VerifyBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_VerifyBackupResponse__Output>): grpc.ClientUnaryCall;
  verifyBackup(argument: _freezeframe_v1_VerifyBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_VerifyBackupResponse__Output>): grpc.ClientUnaryCall;
  verifyBackup(argument: _freezeframe_v1_VerifyBackupRequest, callback: grpc.requestCallback<_freezeframe_v1_VerifyBackupResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Source: who writes to a volume now (processes with files open for writing under it) and
   * how many of its files changed lately; restore warns before overwriting such a volume.
   */
  VolumeActivity(argument: _freezeframe_v1_VolumeActivityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_VolumeActivityResponse__Output>): grpc.ClientUnaryCall;
  VolumeActivity(argument: _freezeframe_v1_VolumeActivityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_VolumeActivityResponse__Output>): grpc.ClientUnaryCall;
  VolumeActivity(argument: _freezeframe_v1_VolumeActivityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_VolumeActivityResponse__Output>): grpc.ClientUnaryCall;
  VolumeActivity(argument: _freezeframe_v1_VolumeActivityRequest, callback: grpc.requestCallback<_freezeframe_v1_VolumeActivityResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Source: who writes to a volume now (processes with files open for writing under it) and
   * how many of its files changed lately; restore warns before overwriting such a volume.
   */
  volumeActivity(argument: _freezeframe_v1_VolumeActivityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_VolumeActivityResponse__Output>): grpc.ClientUnaryCall;
  volumeActivity(argument: _freezeframe_v1_VolumeActivityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_VolumeActivityResponse__Output>): grpc.ClientUnaryCall;
  volumeActivity(argument: _freezeframe_v1_VolumeActivityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_VolumeActivityResponse__Output>): grpc.ClientUnaryCall;
  volumeActivity(argument: _freezeframe_v1_VolumeActivityRequest, callback: grpc.requestCallback<_freezeframe_v1_VolumeActivityResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Target: tags the working tree as a backup (ZFS snapshot / hard-linked tree) with its manifest.
   */
  ZfsTag(argument: _freezeframe_v1_ZfsTagRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ZfsTagResponse__Output>): grpc.ClientUnaryCall;
  ZfsTag(argument: _freezeframe_v1_ZfsTagRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_ZfsTagResponse__Output>): grpc.ClientUnaryCall;
  ZfsTag(argument: _freezeframe_v1_ZfsTagRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ZfsTagResponse__Output>): grpc.ClientUnaryCall;
  ZfsTag(argument: _freezeframe_v1_ZfsTagRequest, callback: grpc.requestCallback<_freezeframe_v1_ZfsTagResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Target: tags the working tree as a backup (ZFS snapshot / hard-linked tree) with its manifest.
   */
  zfsTag(argument: _freezeframe_v1_ZfsTagRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ZfsTagResponse__Output>): grpc.ClientUnaryCall;
  zfsTag(argument: _freezeframe_v1_ZfsTagRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_freezeframe_v1_ZfsTagResponse__Output>): grpc.ClientUnaryCall;
  zfsTag(argument: _freezeframe_v1_ZfsTagRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_freezeframe_v1_ZfsTagResponse__Output>): grpc.ClientUnaryCall;
  zfsTag(argument: _freezeframe_v1_ZfsTagRequest, callback: grpc.requestCallback<_freezeframe_v1_ZfsTagResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AgentHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Target: makes a backup readable for restore (ZFS clone) and releases it again.
   */
  ActivateBackup: grpc.handleUnaryCall<_freezeframe_v1_ActivateBackupRequest__Output, _freezeframe_v1_ActivateBackupResponse>;
  
  /**
   * Target: stores one page of a source's list for the backup it receives.
   */
  AddSentChecksums: grpc.handleUnaryCall<_freezeframe_v1_AddSentChecksumsRequest__Output, _freezeframe_v1_AddSentChecksumsResponse>;
  
  /**
   * Drill node: hashes the restored files (never following a link) and compares them with the
   * checksums recorded at backup time.
   */
  CheckDrill: grpc.handleUnaryCall<_freezeframe_v1_CheckDrillRequest__Output, _freezeframe_v1_CheckDrillResponse>;
  
  /**
   * Removes what runs other than `keep` left behind: source snapshots and their mounts, restore
   * clones, freezes. Idempotent: a second call finds nothing.
   */
  Cleanup: grpc.handleUnaryCall<_freezeframe_v1_CleanupRequest__Output, _freezeframe_v1_CleanupResponse>;
  
  DeactivateBackup: grpc.handleUnaryCall<_freezeframe_v1_DeactivateBackupRequest__Output, _freezeframe_v1_DeactivateBackupResponse>;
  
  /**
   * Target: deletes one tagged backup (ZFS: destroys <dataset>@<id>; dir: removes its tree), for
   * retention. Refused (FAILED_PRECONDITION) while the backup is activated or being restored or
   * verified. Idempotent: a backup that does not exist gives deleted = false.
   */
  DeleteBackup: grpc.handleUnaryCall<_freezeframe_v1_DeleteBackupRequest__Output, _freezeframe_v1_DeleteBackupResponse>;
  
  /**
   * Name, roles, version, capabilities, free space.
   */
  Describe: grpc.handleUnaryCall<_freezeframe_v1_DescribeRequest__Output, _freezeframe_v1_DescribeResponse>;
  
  /**
   * Target: sends an activated backup to a drill ticket: every entry, or a sample of its files
   * chosen by the target from the backup's checksum record, and that record.
   */
  DrillSource: grpc.handleServerStreamingCall<_freezeframe_v1_DrillSourceRequest__Output, _freezeframe_v1_TransferProgress>;
  
  /**
   * Pauses this node's applications and arms a lease; calling it again with the same
   * backup id renews the lease. The agent thaws by itself when the lease expires.
   */
  Freeze: grpc.handleUnaryCall<_freezeframe_v1_FreezeRequest__Output, _freezeframe_v1_FreezeResponse>;
  
  /**
   * Liveness and readiness: version, roles, free space, target lock.
   */
  Health: grpc.handleUnaryCall<_freezeframe_v1_HealthRequest__Output, _freezeframe_v1_HealthResponse>;
  
  ListBackups: grpc.handleUnaryCall<_freezeframe_v1_ListBackupsRequest__Output, _freezeframe_v1_ListBackupsResponse>;
  
  /**
   * Target: takes (or renews) the target lock for one backup, restore or cleanup run, so two
   * runs never interleave on one target. Refused while another holder's lock is unexpired; a
   * lock whose holder died expires after lease_ms.
   */
  LockTarget: grpc.handleUnaryCall<_freezeframe_v1_LockTargetRequest__Output, _freezeframe_v1_LockTargetResponse>;
  
  /**
   * Restore drills (`freezeframe drill`): a backup restored into a scratch folder on a drill node
   * and compared there with the checksums recorded at backup time.
   * Drill node: makes the drill's folder <dir>/<drill_id> (0700; dir must lie inside one of the
   * agent's restoreDirs, with no '..' and no symbolic link on its path) and issues a one-time
   * ticket (direction restore) for the target to send the backup into it.
   */
  OpenDrill: grpc.handleUnaryCall<_freezeframe_v1_OpenDrillRequest__Output, _freezeframe_v1_OpenReceiveResponse>;
  
  /**
   * Receiver (target for backups, source for restores): issues a one-time ticket for the
   * data channel, bound to backup id, source, direction and the sending peer's identity.
   */
  OpenReceive: grpc.handleUnaryCall<_freezeframe_v1_OpenReceiveRequest__Output, _freezeframe_v1_OpenReceiveResponse>;
  
  /**
   * Replication (`freezeframe replicate`): a target's backups copied to a remote target as
   * filesystem streams (zfs send | zfs recv, btrfs send | btrfs receive) through the data channel.
   * Remote target: issues a one-time ticket for one stream from `peer`, who must be the identity
   * its target.replicaOf names. The remote alone decides where the stream lands (its own dataset or
   * folder) and how it is received; the stream must carry backup_id, incremental from base_id.
   */
  OpenReplicaReceive: grpc.handleUnaryCall<_freezeframe_v1_OpenReplicaReceiveRequest__Output, _freezeframe_v1_OpenReplicaReceiveResponse>;
  
  /**
   * Source: sends the snapshot to a receiving agent through the data channel; streams progress.
   */
  PerformRsync: grpc.handleServerStreamingCall<_freezeframe_v1_PerformRsyncRequest__Output, _freezeframe_v1_TransferProgress>;
  
  /**
   * Source: takes the point-in-time snapshot of this node's volume.
   */
  PrepareSnapshot: grpc.handleUnaryCall<_freezeframe_v1_PrepareSnapshotRequest__Output, _freezeframe_v1_PrepareSnapshotResponse>;
  
  /**
   * Receiver: how the session of one ticket ended: the receiving rsync's exit status and what it
   * could not store. A transfer counts only when both ends succeeded: the sending side sees a
   * closed connection either way. Waits up to wait_ms for a session still running.
   */
  ReceiveResult: grpc.handleUnaryCall<_freezeframe_v1_ReceiveResultRequest__Output, _freezeframe_v1_ReceiveResultResponse>;
  
  /**
   * Drill node: deletes the drill's folder, or with `leftovers` every drill folder in dir.
   * Idempotent.
   */
  RemoveDrill: grpc.handleUnaryCall<_freezeframe_v1_RemoveDrillRequest__Output, _freezeframe_v1_RemoveDrillResponse>;
  
  /**
   * Source: removes the snapshot (and its mount) of a backup. Idempotent.
   */
  RemoveSnapshot: grpc.handleUnaryCall<_freezeframe_v1_RemoveSnapshotRequest__Output, _freezeframe_v1_RemoveSnapshotResponse>;
  
  /**
   * Main target: sends one backup as a stream (incremental from base_id) to the remote's data
   * channel with the remote's ticket; streams progress. The remote's verdict comes from its
   * ReceiveResult, as for rsync.
   */
  ReplicaSend: grpc.handleServerStreamingCall<_freezeframe_v1_ReplicaSendRequest__Output, _freezeframe_v1_TransferProgress>;
  
  /**
   * Main target: about how many bytes ReplicaSend would send (`replicate --dry-run`).
   */
  ReplicaSize: grpc.handleUnaryCall<_freezeframe_v1_ReplicaSizeRequest__Output, _freezeframe_v1_ReplicaSizeResponse>;
  
  /**
   * Source (cassandra): restores keyspaces from the backup staged on this node (OpenReceive
   * RESTORE + RestoreSource first): stop Cassandra, clear the commit log, replace each table's
   * sstables, start, wait, repair. One message per step; the last has `done` set.
   */
  RestoreKeyspace: grpc.handleServerStreamingCall<_freezeframe_v1_RestoreKeyspaceRequest__Output, _freezeframe_v1_RestoreKeyspaceStep>;
  
  /**
   * Target: pushes one source's tree of an activated backup to that source's data channel.
   */
  RestoreSource: grpc.handleServerStreamingCall<_freezeframe_v1_RestoreSourceRequest__Output, _freezeframe_v1_TransferProgress>;
  
  /**
   * End-to-end fidelity (docs/reliability.md): the source records each file it sent with the
   * checksum it computed while reading it; the director copies that list page by page to the
   * target, which compares it with what landed before it tags.
   * Source: one page of its list for a backup's entry.
   */
  SentChecksums: grpc.handleUnaryCall<_freezeframe_v1_SentChecksumsRequest__Output, _freezeframe_v1_SentChecksumsResponse>;
  
  /**
   * Starts exactly what StopServices recorded, in reverse order, and forgets the record.
   */
  StartServices: grpc.handleUnaryCall<_freezeframe_v1_StartServicesRequest__Output, _freezeframe_v1_StartServicesResponse>;
  
  /**
   * Stops the configured services (containers, systemd units) in order and records what it stopped.
   */
  StopServices: grpc.handleUnaryCall<_freezeframe_v1_StopServicesRequest__Output, _freezeframe_v1_StopServicesResponse>;
  
  Thaw: grpc.handleUnaryCall<_freezeframe_v1_ThawRequest__Output, _freezeframe_v1_ThawResponse>;
  
  UnlockTarget: grpc.handleUnaryCall<_freezeframe_v1_UnlockTargetRequest__Output, _freezeframe_v1_UnlockTargetResponse>;
  
  /**
   * Target: checks a tagged backup against the per-file checksums recorded when it was tagged
   * (and the pool's health on ZFS).
   */
  VerifyBackup: grpc.handleUnaryCall<_freezeframe_v1_VerifyBackupRequest__Output, _freezeframe_v1_VerifyBackupResponse>;
  
  /**
   * Source: who writes to a volume now (processes with files open for writing under it) and
   * how many of its files changed lately; restore warns before overwriting such a volume.
   */
  VolumeActivity: grpc.handleUnaryCall<_freezeframe_v1_VolumeActivityRequest__Output, _freezeframe_v1_VolumeActivityResponse>;
  
  /**
   * Target: tags the working tree as a backup (ZFS snapshot / hard-linked tree) with its manifest.
   */
  ZfsTag: grpc.handleUnaryCall<_freezeframe_v1_ZfsTagRequest__Output, _freezeframe_v1_ZfsTagResponse>;
  
}

export interface AgentDefinition extends grpc.ServiceDefinition {
  ActivateBackup: MethodDefinition<_freezeframe_v1_ActivateBackupRequest, _freezeframe_v1_ActivateBackupResponse, _freezeframe_v1_ActivateBackupRequest__Output, _freezeframe_v1_ActivateBackupResponse__Output>
  AddSentChecksums: MethodDefinition<_freezeframe_v1_AddSentChecksumsRequest, _freezeframe_v1_AddSentChecksumsResponse, _freezeframe_v1_AddSentChecksumsRequest__Output, _freezeframe_v1_AddSentChecksumsResponse__Output>
  CheckDrill: MethodDefinition<_freezeframe_v1_CheckDrillRequest, _freezeframe_v1_CheckDrillResponse, _freezeframe_v1_CheckDrillRequest__Output, _freezeframe_v1_CheckDrillResponse__Output>
  Cleanup: MethodDefinition<_freezeframe_v1_CleanupRequest, _freezeframe_v1_CleanupResponse, _freezeframe_v1_CleanupRequest__Output, _freezeframe_v1_CleanupResponse__Output>
  DeactivateBackup: MethodDefinition<_freezeframe_v1_DeactivateBackupRequest, _freezeframe_v1_DeactivateBackupResponse, _freezeframe_v1_DeactivateBackupRequest__Output, _freezeframe_v1_DeactivateBackupResponse__Output>
  DeleteBackup: MethodDefinition<_freezeframe_v1_DeleteBackupRequest, _freezeframe_v1_DeleteBackupResponse, _freezeframe_v1_DeleteBackupRequest__Output, _freezeframe_v1_DeleteBackupResponse__Output>
  Describe: MethodDefinition<_freezeframe_v1_DescribeRequest, _freezeframe_v1_DescribeResponse, _freezeframe_v1_DescribeRequest__Output, _freezeframe_v1_DescribeResponse__Output>
  DrillSource: MethodDefinition<_freezeframe_v1_DrillSourceRequest, _freezeframe_v1_TransferProgress, _freezeframe_v1_DrillSourceRequest__Output, _freezeframe_v1_TransferProgress__Output>
  Freeze: MethodDefinition<_freezeframe_v1_FreezeRequest, _freezeframe_v1_FreezeResponse, _freezeframe_v1_FreezeRequest__Output, _freezeframe_v1_FreezeResponse__Output>
  Health: MethodDefinition<_freezeframe_v1_HealthRequest, _freezeframe_v1_HealthResponse, _freezeframe_v1_HealthRequest__Output, _freezeframe_v1_HealthResponse__Output>
  ListBackups: MethodDefinition<_freezeframe_v1_ListBackupsRequest, _freezeframe_v1_ListBackupsResponse, _freezeframe_v1_ListBackupsRequest__Output, _freezeframe_v1_ListBackupsResponse__Output>
  LockTarget: MethodDefinition<_freezeframe_v1_LockTargetRequest, _freezeframe_v1_LockTargetResponse, _freezeframe_v1_LockTargetRequest__Output, _freezeframe_v1_LockTargetResponse__Output>
  OpenDrill: MethodDefinition<_freezeframe_v1_OpenDrillRequest, _freezeframe_v1_OpenReceiveResponse, _freezeframe_v1_OpenDrillRequest__Output, _freezeframe_v1_OpenReceiveResponse__Output>
  OpenReceive: MethodDefinition<_freezeframe_v1_OpenReceiveRequest, _freezeframe_v1_OpenReceiveResponse, _freezeframe_v1_OpenReceiveRequest__Output, _freezeframe_v1_OpenReceiveResponse__Output>
  OpenReplicaReceive: MethodDefinition<_freezeframe_v1_OpenReplicaReceiveRequest, _freezeframe_v1_OpenReplicaReceiveResponse, _freezeframe_v1_OpenReplicaReceiveRequest__Output, _freezeframe_v1_OpenReplicaReceiveResponse__Output>
  PerformRsync: MethodDefinition<_freezeframe_v1_PerformRsyncRequest, _freezeframe_v1_TransferProgress, _freezeframe_v1_PerformRsyncRequest__Output, _freezeframe_v1_TransferProgress__Output>
  PrepareSnapshot: MethodDefinition<_freezeframe_v1_PrepareSnapshotRequest, _freezeframe_v1_PrepareSnapshotResponse, _freezeframe_v1_PrepareSnapshotRequest__Output, _freezeframe_v1_PrepareSnapshotResponse__Output>
  ReceiveResult: MethodDefinition<_freezeframe_v1_ReceiveResultRequest, _freezeframe_v1_ReceiveResultResponse, _freezeframe_v1_ReceiveResultRequest__Output, _freezeframe_v1_ReceiveResultResponse__Output>
  RemoveDrill: MethodDefinition<_freezeframe_v1_RemoveDrillRequest, _freezeframe_v1_RemoveDrillResponse, _freezeframe_v1_RemoveDrillRequest__Output, _freezeframe_v1_RemoveDrillResponse__Output>
  RemoveSnapshot: MethodDefinition<_freezeframe_v1_RemoveSnapshotRequest, _freezeframe_v1_RemoveSnapshotResponse, _freezeframe_v1_RemoveSnapshotRequest__Output, _freezeframe_v1_RemoveSnapshotResponse__Output>
  ReplicaSend: MethodDefinition<_freezeframe_v1_ReplicaSendRequest, _freezeframe_v1_TransferProgress, _freezeframe_v1_ReplicaSendRequest__Output, _freezeframe_v1_TransferProgress__Output>
  ReplicaSize: MethodDefinition<_freezeframe_v1_ReplicaSizeRequest, _freezeframe_v1_ReplicaSizeResponse, _freezeframe_v1_ReplicaSizeRequest__Output, _freezeframe_v1_ReplicaSizeResponse__Output>
  RestoreKeyspace: MethodDefinition<_freezeframe_v1_RestoreKeyspaceRequest, _freezeframe_v1_RestoreKeyspaceStep, _freezeframe_v1_RestoreKeyspaceRequest__Output, _freezeframe_v1_RestoreKeyspaceStep__Output>
  RestoreSource: MethodDefinition<_freezeframe_v1_RestoreSourceRequest, _freezeframe_v1_TransferProgress, _freezeframe_v1_RestoreSourceRequest__Output, _freezeframe_v1_TransferProgress__Output>
  SentChecksums: MethodDefinition<_freezeframe_v1_SentChecksumsRequest, _freezeframe_v1_SentChecksumsResponse, _freezeframe_v1_SentChecksumsRequest__Output, _freezeframe_v1_SentChecksumsResponse__Output>
  StartServices: MethodDefinition<_freezeframe_v1_StartServicesRequest, _freezeframe_v1_StartServicesResponse, _freezeframe_v1_StartServicesRequest__Output, _freezeframe_v1_StartServicesResponse__Output>
  StopServices: MethodDefinition<_freezeframe_v1_StopServicesRequest, _freezeframe_v1_StopServicesResponse, _freezeframe_v1_StopServicesRequest__Output, _freezeframe_v1_StopServicesResponse__Output>
  Thaw: MethodDefinition<_freezeframe_v1_ThawRequest, _freezeframe_v1_ThawResponse, _freezeframe_v1_ThawRequest__Output, _freezeframe_v1_ThawResponse__Output>
  UnlockTarget: MethodDefinition<_freezeframe_v1_UnlockTargetRequest, _freezeframe_v1_UnlockTargetResponse, _freezeframe_v1_UnlockTargetRequest__Output, _freezeframe_v1_UnlockTargetResponse__Output>
  VerifyBackup: MethodDefinition<_freezeframe_v1_VerifyBackupRequest, _freezeframe_v1_VerifyBackupResponse, _freezeframe_v1_VerifyBackupRequest__Output, _freezeframe_v1_VerifyBackupResponse__Output>
  VolumeActivity: MethodDefinition<_freezeframe_v1_VolumeActivityRequest, _freezeframe_v1_VolumeActivityResponse, _freezeframe_v1_VolumeActivityRequest__Output, _freezeframe_v1_VolumeActivityResponse__Output>
  ZfsTag: MethodDefinition<_freezeframe_v1_ZfsTagRequest, _freezeframe_v1_ZfsTagResponse, _freezeframe_v1_ZfsTagRequest__Output, _freezeframe_v1_ZfsTagResponse__Output>
}
