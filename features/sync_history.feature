Feature: Sync history
  Every sync of a company is kept, whether the partner requested it (up to now,
  or for a date range) or the schedule ran it: the partner lists them, reads
  one by its id, the latest, and the last successful one, which the
  merchant's settings page shows as the last sync. A sync for a date range
  syncs exactly that range, and needs a valid one.

  @SYNC-1 @must @link
  Scenario: Every sync requested is listed from then on, and the newest is the latest
    Given a merchant who is ready to sync
    When the partner requests a sync for the day before yesterday
    And the partner requests a sync up to now
    Then the history lists every sync requested
    And the latest sync status is the newest sync of the history
    And each listed sync reads by its id with the code the history lists
    And a sync id the history does not list answers 404 with an ErrorMessage

  @SYNC-2 @must @link
  Scenario: The last successful sync is the newest success, never one after the deletion
    Given a merchant who is ready to sync
    Then the last successful sync is the newest listed sync that succeeded, or 404 when none did
    When the partner requests a sync up to now
    Then the last successful sync is the newest listed sync that succeeded, or 404 when none did
    When the partner reads the sync history
    And the merchant severs the accounting connection
    And the partner requests a sync up to now
    Then the last successful sync is still the newest success, and none started after the deletion

  @SYNC-3 @must @link
  Scenario: A sync for a date range syncs that range, and needs a valid one
    Given a merchant who is ready to sync
    When the partner requests a sync for the day before yesterday
    Then the answer is a SyncSummary whose syncDateRangeUtc is that range
    When the partner requests syncs for the date ranges no dateRange, no start, no finish, start after finish, start equal to finish and start not a date-time
    Then each is refused with 400 and validation errors, and no sync was started
