// Original file: proto/freezeframe/v1/agent.proto


export interface RemoveDrillRequest {
  /**
   * the folder to delete; empty with leftovers
   */
  'drill_id'?: (string);
  'dir'?: (string);
  /**
   * every drill_* folder in dir except drill_id (interrupted drills)
   */
  'leftovers'?: (boolean);
  /**
   * only list what would be deleted (`freezeframe cleanup --dry-run`)
   */
  'dry_run'?: (boolean);
}

export interface RemoveDrillRequest__Output {
  /**
   * the folder to delete; empty with leftovers
   */
  'drill_id': (string);
  'dir': (string);
  /**
   * every drill_* folder in dir except drill_id (interrupted drills)
   */
  'leftovers': (boolean);
  /**
   * only list what would be deleted (`freezeframe cleanup --dry-run`)
   */
  'dry_run': (boolean);
}
