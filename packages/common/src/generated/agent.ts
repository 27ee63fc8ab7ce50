import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ActivateBackupRequest as _freezeframe_v1_ActivateBackupRequest, ActivateBackupRequest__Output as _freezeframe_v1_ActivateBackupRequest__Output } from './freezeframe/v1/ActivateBackupRequest.js';
import type { ActivateBackupResponse as _freezeframe_v1_ActivateBackupResponse, ActivateBackupResponse__Output as _freezeframe_v1_ActivateBackupResponse__Output } from './freezeframe/v1/ActivateBackupResponse.js';
import type { AddSentChecksumsRequest as _freezeframe_v1_AddSentChecksumsRequest, AddSentChecksumsRequest__Output as _freezeframe_v1_AddSentChecksumsRequest__Output } from './freezeframe/v1/AddSentChecksumsRequest.js';
import type { AddSentChecksumsResponse as _freezeframe_v1_AddSentChecksumsResponse, AddSentChecksumsResponse__Output as _freezeframe_v1_AddSentChecksumsResponse__Output } from './freezeframe/v1/AddSentChecksumsResponse.js';
import type { AgentClient as _freezeframe_v1_AgentClient, AgentDefinition as _freezeframe_v1_AgentDefinition } from './freezeframe/v1/Agent.js';
import type { BackupInfo as _freezeframe_v1_BackupInfo, BackupInfo__Output as _freezeframe_v1_BackupInfo__Output } from './freezeframe/v1/BackupInfo.js';
import type { CheckDrillRequest as _freezeframe_v1_CheckDrillRequest, CheckDrillRequest__Output as _freezeframe_v1_CheckDrillRequest__Output } from './freezeframe/v1/CheckDrillRequest.js';
import type { CheckDrillResponse as _freezeframe_v1_CheckDrillResponse, CheckDrillResponse__Output as _freezeframe_v1_CheckDrillResponse__Output } from './freezeframe/v1/CheckDrillResponse.js';
import type { CleanupRequest as _freezeframe_v1_CleanupRequest, CleanupRequest__Output as _freezeframe_v1_CleanupRequest__Output } from './freezeframe/v1/CleanupRequest.js';
import type { CleanupResponse as _freezeframe_v1_CleanupResponse, CleanupResponse__Output as _freezeframe_v1_CleanupResponse__Output } from './freezeframe/v1/CleanupResponse.js';
import type { DeactivateBackupRequest as _freezeframe_v1_DeactivateBackupRequest, DeactivateBackupRequest__Output as _freezeframe_v1_DeactivateBackupRequest__Output } from './freezeframe/v1/DeactivateBackupRequest.js';
import type { DeactivateBackupResponse as _freezeframe_v1_DeactivateBackupResponse, DeactivateBackupResponse__Output as _freezeframe_v1_DeactivateBackupResponse__Output } from './freezeframe/v1/DeactivateBackupResponse.js';
import type { DeleteBackupRequest as _freezeframe_v1_DeleteBackupRequest, DeleteBackupRequest__Output as _freezeframe_v1_DeleteBackupRequest__Output } from './freezeframe/v1/DeleteBackupRequest.js';
import type { DeleteBackupResponse as _freezeframe_v1_DeleteBackupResponse, DeleteBackupResponse__Output as _freezeframe_v1_DeleteBackupResponse__Output } from './freezeframe/v1/DeleteBackupResponse.js';
import type { DescribeRequest as _freezeframe_v1_DescribeRequest, DescribeRequest__Output as _freezeframe_v1_DescribeRequest__Output } from './freezeframe/v1/DescribeRequest.js';
import type { DescribeResponse as _freezeframe_v1_DescribeResponse, DescribeResponse__Output as _freezeframe_v1_DescribeResponse__Output } from './freezeframe/v1/DescribeResponse.js';
import type { DrillSourceRequest as _freezeframe_v1_DrillSourceRequest, DrillSourceRequest__Output as _freezeframe_v1_DrillSourceRequest__Output } from './freezeframe/v1/DrillSourceRequest.js';
import type { FreezeInfo as _freezeframe_v1_FreezeInfo, FreezeInfo__Output as _freezeframe_v1_FreezeInfo__Output } from './freezeframe/v1/FreezeInfo.js';
import type { FreezeRequest as _freezeframe_v1_FreezeRequest, FreezeRequest__Output as _freezeframe_v1_FreezeRequest__Output } from './freezeframe/v1/FreezeRequest.js';
import type { FreezeResponse as _freezeframe_v1_FreezeResponse, FreezeResponse__Output as _freezeframe_v1_FreezeResponse__Output } from './freezeframe/v1/FreezeResponse.js';
import type { HealthCheck as _freezeframe_v1_HealthCheck, HealthCheck__Output as _freezeframe_v1_HealthCheck__Output } from './freezeframe/v1/HealthCheck.js';
import type { HealthRequest as _freezeframe_v1_HealthRequest, HealthRequest__Output as _freezeframe_v1_HealthRequest__Output } from './freezeframe/v1/HealthRequest.js';
import type { HealthResponse as _freezeframe_v1_HealthResponse, HealthResponse__Output as _freezeframe_v1_HealthResponse__Output } from './freezeframe/v1/HealthResponse.js';
import type { ListBackupsRequest as _freezeframe_v1_ListBackupsRequest, ListBackupsRequest__Output as _freezeframe_v1_ListBackupsRequest__Output } from './freezeframe/v1/ListBackupsRequest.js';
import type { ListBackupsResponse as _freezeframe_v1_ListBackupsResponse, ListBackupsResponse__Output as _freezeframe_v1_ListBackupsResponse__Output } from './freezeframe/v1/ListBackupsResponse.js';
import type { LockTargetRequest as _freezeframe_v1_LockTargetRequest, LockTargetRequest__Output as _freezeframe_v1_LockTargetRequest__Output } from './freezeframe/v1/LockTargetRequest.js';
import type { LockTargetResponse as _freezeframe_v1_LockTargetResponse, LockTargetResponse__Output as _freezeframe_v1_LockTargetResponse__Output } from './freezeframe/v1/LockTargetResponse.js';
import type { Manifest as _freezeframe_v1_Manifest, Manifest__Output as _freezeframe_v1_Manifest__Output } from './freezeframe/v1/Manifest.js';
import type { NotStored as _freezeframe_v1_NotStored, NotStored__Output as _freezeframe_v1_NotStored__Output } from './freezeframe/v1/NotStored.js';
import type { OpenDrillRequest as _freezeframe_v1_OpenDrillRequest, OpenDrillRequest__Output as _freezeframe_v1_OpenDrillRequest__Output } from './freezeframe/v1/OpenDrillRequest.js';
import type { OpenReceiveRequest as _freezeframe_v1_OpenReceiveRequest, OpenReceiveRequest__Output as _freezeframe_v1_OpenReceiveRequest__Output } from './freezeframe/v1/OpenReceiveRequest.js';
import type { OpenReceiveResponse as _freezeframe_v1_OpenReceiveResponse, OpenReceiveResponse__Output as _freezeframe_v1_OpenReceiveResponse__Output } from './freezeframe/v1/OpenReceiveResponse.js';
import type { OpenReplicaReceiveRequest as _freezeframe_v1_OpenReplicaReceiveRequest, OpenReplicaReceiveRequest__Output as _freezeframe_v1_OpenReplicaReceiveRequest__Output } from './freezeframe/v1/OpenReplicaReceiveRequest.js';
import type { OpenReplicaReceiveResponse as _freezeframe_v1_OpenReplicaReceiveResponse, OpenReplicaReceiveResponse__Output as _freezeframe_v1_OpenReplicaReceiveResponse__Output } from './freezeframe/v1/OpenReplicaReceiveResponse.js';
import type { PerformRsyncRequest as _freezeframe_v1_PerformRsyncRequest, PerformRsyncRequest__Output as _freezeframe_v1_PerformRsyncRequest__Output } from './freezeframe/v1/PerformRsyncRequest.js';
import type { PrepareSnapshotRequest as _freezeframe_v1_PrepareSnapshotRequest, PrepareSnapshotRequest__Output as _freezeframe_v1_PrepareSnapshotRequest__Output } from './freezeframe/v1/PrepareSnapshotRequest.js';
import type { PrepareSnapshotResponse as _freezeframe_v1_PrepareSnapshotResponse, PrepareSnapshotResponse__Output as _freezeframe_v1_PrepareSnapshotResponse__Output } from './freezeframe/v1/PrepareSnapshotResponse.js';
import type { ReceiveFailure as _freezeframe_v1_ReceiveFailure, ReceiveFailure__Output as _freezeframe_v1_ReceiveFailure__Output } from './freezeframe/v1/ReceiveFailure.js';
import type { ReceiveResultRequest as _freezeframe_v1_ReceiveResultRequest, ReceiveResultRequest__Output as _freezeframe_v1_ReceiveResultRequest__Output } from './freezeframe/v1/ReceiveResultRequest.js';
import type { ReceiveResultResponse as _freezeframe_v1_ReceiveResultResponse, ReceiveResultResponse__Output as _freezeframe_v1_ReceiveResultResponse__Output } from './freezeframe/v1/ReceiveResultResponse.js';
import type { RemoveDrillRequest as _freezeframe_v1_RemoveDrillRequest, RemoveDrillRequest__Output as _freezeframe_v1_RemoveDrillRequest__Output } from './freezeframe/v1/RemoveDrillRequest.js';
import type { RemoveDrillResponse as _freezeframe_v1_RemoveDrillResponse, RemoveDrillResponse__Output as _freezeframe_v1_RemoveDrillResponse__Output } from './freezeframe/v1/RemoveDrillResponse.js';
import type { RemoveSnapshotRequest as _freezeframe_v1_RemoveSnapshotRequest, RemoveSnapshotRequest__Output as _freezeframe_v1_RemoveSnapshotRequest__Output } from './freezeframe/v1/RemoveSnapshotRequest.js';
import type { RemoveSnapshotResponse as _freezeframe_v1_RemoveSnapshotResponse, RemoveSnapshotResponse__Output as _freezeframe_v1_RemoveSnapshotResponse__Output } from './freezeframe/v1/RemoveSnapshotResponse.js';
import type { ReplicaSendRequest as _freezeframe_v1_ReplicaSendRequest, ReplicaSendRequest__Output as _freezeframe_v1_ReplicaSendRequest__Output } from './freezeframe/v1/ReplicaSendRequest.js';
import type { ReplicaSizeRequest as _freezeframe_v1_ReplicaSizeRequest, ReplicaSizeRequest__Output as _freezeframe_v1_ReplicaSizeRequest__Output } from './freezeframe/v1/ReplicaSizeRequest.js';
import type { ReplicaSizeResponse as _freezeframe_v1_ReplicaSizeResponse, ReplicaSizeResponse__Output as _freezeframe_v1_ReplicaSizeResponse__Output } from './freezeframe/v1/ReplicaSizeResponse.js';
import type { RestoreKeyspaceRequest as _freezeframe_v1_RestoreKeyspaceRequest, RestoreKeyspaceRequest__Output as _freezeframe_v1_RestoreKeyspaceRequest__Output } from './freezeframe/v1/RestoreKeyspaceRequest.js';
import type { RestoreKeyspaceStep as _freezeframe_v1_RestoreKeyspaceStep, RestoreKeyspaceStep__Output as _freezeframe_v1_RestoreKeyspaceStep__Output } from './freezeframe/v1/RestoreKeyspaceStep.js';
import type { RestoreSourceRequest as _freezeframe_v1_RestoreSourceRequest, RestoreSourceRequest__Output as _freezeframe_v1_RestoreSourceRequest__Output } from './freezeframe/v1/RestoreSourceRequest.js';
import type { SentChecksumsRequest as _freezeframe_v1_SentChecksumsRequest, SentChecksumsRequest__Output as _freezeframe_v1_SentChecksumsRequest__Output } from './freezeframe/v1/SentChecksumsRequest.js';
import type { SentChecksumsResponse as _freezeframe_v1_SentChecksumsResponse, SentChecksumsResponse__Output as _freezeframe_v1_SentChecksumsResponse__Output } from './freezeframe/v1/SentChecksumsResponse.js';
import type { ServiceState as _freezeframe_v1_ServiceState, ServiceState__Output as _freezeframe_v1_ServiceState__Output } from './freezeframe/v1/ServiceState.js';
import type { SourceInfo as _freezeframe_v1_SourceInfo, SourceInfo__Output as _freezeframe_v1_SourceInfo__Output } from './freezeframe/v1/SourceInfo.js';
import type { StartServicesRequest as _freezeframe_v1_StartServicesRequest, StartServicesRequest__Output as _freezeframe_v1_StartServicesRequest__Output } from './freezeframe/v1/StartServicesRequest.js';
import type { StartServicesResponse as _freezeframe_v1_StartServicesResponse, StartServicesResponse__Output as _freezeframe_v1_StartServicesResponse__Output } from './freezeframe/v1/StartServicesResponse.js';
import type { StopServicesRequest as _freezeframe_v1_StopServicesRequest, StopServicesRequest__Output as _freezeframe_v1_StopServicesRequest__Output } from './freezeframe/v1/StopServicesRequest.js';
import type { StopServicesResponse as _freezeframe_v1_StopServicesResponse, StopServicesResponse__Output as _freezeframe_v1_StopServicesResponse__Output } from './freezeframe/v1/StopServicesResponse.js';
import type { TargetInfo as _freezeframe_v1_TargetInfo, TargetInfo__Output as _freezeframe_v1_TargetInfo__Output } from './freezeframe/v1/TargetInfo.js';
import type { TargetLimit as _freezeframe_v1_TargetLimit, TargetLimit__Output as _freezeframe_v1_TargetLimit__Output } from './freezeframe/v1/TargetLimit.js';
import type { ThawRequest as _freezeframe_v1_ThawRequest, ThawRequest__Output as _freezeframe_v1_ThawRequest__Output } from './freezeframe/v1/ThawRequest.js';
import type { ThawResponse as _freezeframe_v1_ThawResponse, ThawResponse__Output as _freezeframe_v1_ThawResponse__Output } from './freezeframe/v1/ThawResponse.js';
import type { TransferProgress as _freezeframe_v1_TransferProgress, TransferProgress__Output as _freezeframe_v1_TransferProgress__Output } from './freezeframe/v1/TransferProgress.js';
import type { TransferStats as _freezeframe_v1_TransferStats, TransferStats__Output as _freezeframe_v1_TransferStats__Output } from './freezeframe/v1/TransferStats.js';
import type { UnlockTargetRequest as _freezeframe_v1_UnlockTargetRequest, UnlockTargetRequest__Output as _freezeframe_v1_UnlockTargetRequest__Output } from './freezeframe/v1/UnlockTargetRequest.js';
import type { UnlockTargetResponse as _freezeframe_v1_UnlockTargetResponse, UnlockTargetResponse__Output as _freezeframe_v1_UnlockTargetResponse__Output } from './freezeframe/v1/UnlockTargetResponse.js';
import type { VerifyBackupRequest as _freezeframe_v1_VerifyBackupRequest, VerifyBackupRequest__Output as _freezeframe_v1_VerifyBackupRequest__Output } from './freezeframe/v1/VerifyBackupRequest.js';
import type { VerifyBackupResponse as _freezeframe_v1_VerifyBackupResponse, VerifyBackupResponse__Output as _freezeframe_v1_VerifyBackupResponse__Output } from './freezeframe/v1/VerifyBackupResponse.js';
import type { VolumeActivityRequest as _freezeframe_v1_VolumeActivityRequest, VolumeActivityRequest__Output as _freezeframe_v1_VolumeActivityRequest__Output } from './freezeframe/v1/VolumeActivityRequest.js';
import type { VolumeActivityResponse as _freezeframe_v1_VolumeActivityResponse, VolumeActivityResponse__Output as _freezeframe_v1_VolumeActivityResponse__Output } from './freezeframe/v1/VolumeActivityResponse.js';
import type { VolumeWriter as _freezeframe_v1_VolumeWriter, VolumeWriter__Output as _freezeframe_v1_VolumeWriter__Output } from './freezeframe/v1/VolumeWriter.js';
import type { ZfsTagRequest as _freezeframe_v1_ZfsTagRequest, ZfsTagRequest__Output as _freezeframe_v1_ZfsTagRequest__Output } from './freezeframe/v1/ZfsTagRequest.js';
import type { ZfsTagResponse as _freezeframe_v1_ZfsTagResponse, ZfsTagResponse__Output as _freezeframe_v1_ZfsTagResponse__Output } from './freezeframe/v1/ZfsTagResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  freezeframe: {
    v1: {
      ActivateBackupRequest: MessageTypeDefinition<_freezeframe_v1_ActivateBackupRequest, _freezeframe_v1_ActivateBackupRequest__Output>
      ActivateBackupResponse: MessageTypeDefinition<_freezeframe_v1_ActivateBackupResponse, _freezeframe_v1_ActivateBackupResponse__Output>
      AddSentChecksumsRequest: MessageTypeDefinition<_freezeframe_v1_AddSentChecksumsRequest, _freezeframe_v1_AddSentChecksumsRequest__Output>
      AddSentChecksumsResponse: MessageTypeDefinition<_freezeframe_v1_AddSentChecksumsResponse, _freezeframe_v1_AddSentChecksumsResponse__Output>
      Agent: SubtypeConstructor<typeof grpc.Client, _freezeframe_v1_AgentClient> & { service: _freezeframe_v1_AgentDefinition }
      BackupInfo: MessageTypeDefinition<_freezeframe_v1_BackupInfo, _freezeframe_v1_BackupInfo__Output>
      CheckDrillRequest: MessageTypeDefinition<_freezeframe_v1_CheckDrillRequest, _freezeframe_v1_CheckDrillRequest__Output>
      CheckDrillResponse: MessageTypeDefinition<_freezeframe_v1_CheckDrillResponse, _freezeframe_v1_CheckDrillResponse__Output>
      CleanupRequest: MessageTypeDefinition<_freezeframe_v1_CleanupRequest, _freezeframe_v1_CleanupRequest__Output>
      CleanupResponse: MessageTypeDefinition<_freezeframe_v1_CleanupResponse, _freezeframe_v1_CleanupResponse__Output>
      DeactivateBackupRequest: MessageTypeDefinition<_freezeframe_v1_DeactivateBackupRequest, _freezeframe_v1_DeactivateBackupRequest__Output>
      DeactivateBackupResponse: MessageTypeDefinition<_freezeframe_v1_DeactivateBackupResponse, _freezeframe_v1_DeactivateBackupResponse__Output>
      DeleteBackupRequest: MessageTypeDefinition<_freezeframe_v1_DeleteBackupRequest, _freezeframe_v1_DeleteBackupRequest__Output>
      DeleteBackupResponse: MessageTypeDefinition<_freezeframe_v1_DeleteBackupResponse, _freezeframe_v1_DeleteBackupResponse__Output>
      DescribeRequest: MessageTypeDefinition<_freezeframe_v1_DescribeRequest, _freezeframe_v1_DescribeRequest__Output>
      DescribeResponse: MessageTypeDefinition<_freezeframe_v1_DescribeResponse, _freezeframe_v1_DescribeResponse__Output>
      Direction: EnumTypeDefinition
      DrillSourceRequest: MessageTypeDefinition<_freezeframe_v1_DrillSourceRequest, _freezeframe_v1_DrillSourceRequest__Output>
      FreezeInfo: MessageTypeDefinition<_freezeframe_v1_FreezeInfo, _freezeframe_v1_FreezeInfo__Output>
      FreezeRequest: MessageTypeDefinition<_freezeframe_v1_FreezeRequest, _freezeframe_v1_FreezeRequest__Output>
      FreezeResponse: MessageTypeDefinition<_freezeframe_v1_FreezeResponse, _freezeframe_v1_FreezeResponse__Output>
      HealthCheck: MessageTypeDefinition<_freezeframe_v1_HealthCheck, _freezeframe_v1_HealthCheck__Output>
      HealthRequest: MessageTypeDefinition<_freezeframe_v1_HealthRequest, _freezeframe_v1_HealthRequest__Output>
      HealthResponse: MessageTypeDefinition<_freezeframe_v1_HealthResponse, _freezeframe_v1_HealthResponse__Output>
      ListBackupsRequest: MessageTypeDefinition<_freezeframe_v1_ListBackupsRequest, _freezeframe_v1_ListBackupsRequest__Output>
      ListBackupsResponse: MessageTypeDefinition<_freezeframe_v1_ListBackupsResponse, _freezeframe_v1_ListBackupsResponse__Output>
      LockTargetRequest: MessageTypeDefinition<_freezeframe_v1_LockTargetRequest, _freezeframe_v1_LockTargetRequest__Output>
      LockTargetResponse: MessageTypeDefinition<_freezeframe_v1_LockTargetResponse, _freezeframe_v1_LockTargetResponse__Output>
      Manifest: MessageTypeDefinition<_freezeframe_v1_Manifest, _freezeframe_v1_Manifest__Output>
      NotStored: MessageTypeDefinition<_freezeframe_v1_NotStored, _freezeframe_v1_NotStored__Output>
      OpenDrillRequest: MessageTypeDefinition<_freezeframe_v1_OpenDrillRequest, _freezeframe_v1_OpenDrillRequest__Output>
      OpenReceiveRequest: MessageTypeDefinition<_freezeframe_v1_OpenReceiveRequest, _freezeframe_v1_OpenReceiveRequest__Output>
      OpenReceiveResponse: MessageTypeDefinition<_freezeframe_v1_OpenReceiveResponse, _freezeframe_v1_OpenReceiveResponse__Output>
      OpenReplicaReceiveRequest: MessageTypeDefinition<_freezeframe_v1_OpenReplicaReceiveRequest, _freezeframe_v1_OpenReplicaReceiveRequest__Output>
      OpenReplicaReceiveResponse: MessageTypeDefinition<_freezeframe_v1_OpenReplicaReceiveResponse, _freezeframe_v1_OpenReplicaReceiveResponse__Output>
      PerformRsyncRequest: MessageTypeDefinition<_freezeframe_v1_PerformRsyncRequest, _freezeframe_v1_PerformRsyncRequest__Output>
      PrepareSnapshotRequest: MessageTypeDefinition<_freezeframe_v1_PrepareSnapshotRequest, _freezeframe_v1_PrepareSnapshotRequest__Output>
      PrepareSnapshotResponse: MessageTypeDefinition<_freezeframe_v1_PrepareSnapshotResponse, _freezeframe_v1_PrepareSnapshotResponse__Output>
      ReceiveFailure: MessageTypeDefinition<_freezeframe_v1_ReceiveFailure, _freezeframe_v1_ReceiveFailure__Output>
      ReceiveResultRequest: MessageTypeDefinition<_freezeframe_v1_ReceiveResultRequest, _freezeframe_v1_ReceiveResultRequest__Output>
      ReceiveResultResponse: MessageTypeDefinition<_freezeframe_v1_ReceiveResultResponse, _freezeframe_v1_ReceiveResultResponse__Output>
      RemoveDrillRequest: MessageTypeDefinition<_freezeframe_v1_RemoveDrillRequest, _freezeframe_v1_RemoveDrillRequest__Output>
      RemoveDrillResponse: MessageTypeDefinition<_freezeframe_v1_RemoveDrillResponse, _freezeframe_v1_RemoveDrillResponse__Output>
      RemoveSnapshotRequest: MessageTypeDefinition<_freezeframe_v1_RemoveSnapshotRequest, _freezeframe_v1_RemoveSnapshotRequest__Output>
      RemoveSnapshotResponse: MessageTypeDefinition<_freezeframe_v1_RemoveSnapshotResponse, _freezeframe_v1_RemoveSnapshotResponse__Output>
      ReplicaSendRequest: MessageTypeDefinition<_freezeframe_v1_ReplicaSendRequest, _freezeframe_v1_ReplicaSendRequest__Output>
      ReplicaSizeRequest: MessageTypeDefinition<_freezeframe_v1_ReplicaSizeRequest, _freezeframe_v1_ReplicaSizeRequest__Output>
      ReplicaSizeResponse: MessageTypeDefinition<_freezeframe_v1_ReplicaSizeResponse, _freezeframe_v1_ReplicaSizeResponse__Output>
      RestoreKeyspaceRequest: MessageTypeDefinition<_freezeframe_v1_RestoreKeyspaceRequest, _freezeframe_v1_RestoreKeyspaceRequest__Output>
      RestoreKeyspaceStep: MessageTypeDefinition<_freezeframe_v1_RestoreKeyspaceStep, _freezeframe_v1_RestoreKeyspaceStep__Output>
      RestoreSourceRequest: MessageTypeDefinition<_freezeframe_v1_RestoreSourceRequest, _freezeframe_v1_RestoreSourceRequest__Output>
      SentChecksumsRequest: MessageTypeDefinition<_freezeframe_v1_SentChecksumsRequest, _freezeframe_v1_SentChecksumsRequest__Output>
      SentChecksumsResponse: MessageTypeDefinition<_freezeframe_v1_SentChecksumsResponse, _freezeframe_v1_SentChecksumsResponse__Output>
      ServiceState: MessageTypeDefinition<_freezeframe_v1_ServiceState, _freezeframe_v1_ServiceState__Output>
      SourceInfo: MessageTypeDefinition<_freezeframe_v1_SourceInfo, _freezeframe_v1_SourceInfo__Output>
      StartServicesRequest: MessageTypeDefinition<_freezeframe_v1_StartServicesRequest, _freezeframe_v1_StartServicesRequest__Output>
      StartServicesResponse: MessageTypeDefinition<_freezeframe_v1_StartServicesResponse, _freezeframe_v1_StartServicesResponse__Output>
      StopServicesRequest: MessageTypeDefinition<_freezeframe_v1_StopServicesRequest, _freezeframe_v1_StopServicesRequest__Output>
      StopServicesResponse: MessageTypeDefinition<_freezeframe_v1_StopServicesResponse, _freezeframe_v1_StopServicesResponse__Output>
      TargetInfo: MessageTypeDefinition<_freezeframe_v1_TargetInfo, _freezeframe_v1_TargetInfo__Output>
      TargetLimit: MessageTypeDefinition<_freezeframe_v1_TargetLimit, _freezeframe_v1_TargetLimit__Output>
      ThawRequest: MessageTypeDefinition<_freezeframe_v1_ThawRequest, _freezeframe_v1_ThawRequest__Output>
      ThawResponse: MessageTypeDefinition<_freezeframe_v1_ThawResponse, _freezeframe_v1_ThawResponse__Output>
      TransferProgress: MessageTypeDefinition<_freezeframe_v1_TransferProgress, _freezeframe_v1_TransferProgress__Output>
      TransferStats: MessageTypeDefinition<_freezeframe_v1_TransferStats, _freezeframe_v1_TransferStats__Output>
      UnlockTargetRequest: MessageTypeDefinition<_freezeframe_v1_UnlockTargetRequest, _freezeframe_v1_UnlockTargetRequest__Output>
      UnlockTargetResponse: MessageTypeDefinition<_freezeframe_v1_UnlockTargetResponse, _freezeframe_v1_UnlockTargetResponse__Output>
      VerifyBackupRequest: MessageTypeDefinition<_freezeframe_v1_VerifyBackupRequest, _freezeframe_v1_VerifyBackupRequest__Output>
      VerifyBackupResponse: MessageTypeDefinition<_freezeframe_v1_VerifyBackupResponse, _freezeframe_v1_VerifyBackupResponse__Output>
      VolumeActivityRequest: MessageTypeDefinition<_freezeframe_v1_VolumeActivityRequest, _freezeframe_v1_VolumeActivityRequest__Output>
      VolumeActivityResponse: MessageTypeDefinition<_freezeframe_v1_VolumeActivityResponse, _freezeframe_v1_VolumeActivityResponse__Output>
      VolumeWriter: MessageTypeDefinition<_freezeframe_v1_VolumeWriter, _freezeframe_v1_VolumeWriter__Output>
      ZfsTagRequest: MessageTypeDefinition<_freezeframe_v1_ZfsTagRequest, _freezeframe_v1_ZfsTagRequest__Output>
      ZfsTagResponse: MessageTypeDefinition<_freezeframe_v1_ZfsTagResponse, _freezeframe_v1_ZfsTagResponse__Output>
    }
  }
}

