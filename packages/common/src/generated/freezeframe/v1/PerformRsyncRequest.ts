// Original file: proto/freezeframe/v1/agent.proto


export interface PerformRsyncRequest {
  'backup_id'?: (string);
  'ticket'?: (string);
  /**
   * expected certificate identity of the receiver
   */
  'receiver_name'?: (string);
  /**
   * host or IP of the receiver (from the inventory)
   */
  'receiver_host'?: (string);
  'receiver_data_port'?: (number);
  /**
   * from OpenReceiveResponse.inplace
   */
  'inplace'?: (boolean);
  /**
   * The newest tagged backup holding this source (its content is the receiver's basis); empty
   * when there is none. Files whose mtime falls in the same second as a snapshot since then may
   * have changed unseen by rsync's quick check: their count comes back in recheck_files.
   */
  'previous_backup_id'?: (string);
  /**
   * The second pass: send only those files, to a ticket opened with recheck (content compared).
   */
  'recheck'?: (boolean);
  /**
   * the volume to send (its entry, from Describe); empty: the node's only one
   */
  'entry'?: (string);
  /**
   * `backup --deep`: compare every file by content (rsync --checksum), not by size and mtime;
   * the second pass (recheck) is then not needed.
   */
  'deep'?: (boolean);
  /**
   * Record every file sent with its checksum (SentChecksums). Set only when the receiver has the
   * feature "sent-checksums": rsync then passes it --log-format=%i, which older receivers refuse.
   */
  'sent_checksums'?: (boolean);
  /**
   * from OpenReceiveResponse.native
   */
  'receiver_native'?: (boolean);
  /**
   * Send ACLs and xattrs even where SourceInfo.leave_out leaves them out, so the stored copy
   * matches the source again: the first backup after the setting was turned on, and --deep.
   */
  'compare_left_out'?: (boolean);
}

export interface PerformRsyncRequest__Output {
  'backup_id': (string);
  'ticket': (string);
  /**
   * expected certificate identity of the receiver
   */
  'receiver_name': (string);
  /**
   * host or IP of the receiver (from the inventory)
   */
  'receiver_host': (string);
  'receiver_data_port': (number);
  /**
   * from OpenReceiveResponse.inplace
   */
  'inplace': (boolean);
  /**
   * The newest tagged backup holding this source (its content is the receiver's basis); empty
   * when there is none. Files whose mtime falls in the same second as a snapshot since then may
   * have changed unseen by rsync's quick check: their count comes back in recheck_files.
   */
  'previous_backup_id': (string);
  /**
   * The second pass: send only those files, to a ticket opened with recheck (content compared).
   */
  'recheck': (boolean);
  /**
   * the volume to send (its entry, from Describe); empty: the node's only one
   */
  'entry': (string);
  /**
   * `backup --deep`: compare every file by content (rsync --checksum), not by size and mtime;
   * the second pass (recheck) is then not needed.
   */
  'deep': (boolean);
  /**
   * Record every file sent with its checksum (SentChecksums). Set only when the receiver has the
   * feature "sent-checksums": rsync then passes it --log-format=%i, which older receivers refuse.
   */
  'sent_checksums': (boolean);
  /**
   * from OpenReceiveResponse.native
   */
  'receiver_native': (boolean);
  /**
   * Send ACLs and xattrs even where SourceInfo.leave_out leaves them out, so the stored copy
   * matches the source again: the first backup after the setting was turned on, and --deep.
   */
  'compare_left_out': (boolean);
}
