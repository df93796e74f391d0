Feature: The merchant severs the connection
  When the merchant deletes the accounting connection, the next scheduled
  sync fails and no further syncs are attempted. Every subscription the partner
  made to the Sync Connection Deleted rule is told, once.

  Background:
    Given the partner has 2 subscriptions to connection.deleted events

  @DEL-1 @must @link
  Scenario: Deleting the connection notifies every subscriber
    Given a merchant who is ready to sync
    When the merchant severs the accounting connection
    Then every subscription receives the connection.deleted event within 10 seconds, for that company and connection
    And the event is a ConnectionWebhook

  @DEL-1 @must @whole_run
  Scenario: Every deletion of the run was one event, heard by every subscription
    Then every connection severed during the run was announced to every subscription as one event within 10 seconds

  @DEL-2 @must @link
  Scenario: No sync succeeds after the deletion
    Given a merchant who is ready to sync
    When the merchant severs the accounting connection
    And the partner requests a sync
    Then the sync does not succeed
    And the latest sync status is not Complete for any sync after the deletion

  @DEL-3 @must @embedded_only
  Scenario: The next scheduled sync fails, and no further sync is attempted
    Given a merchant who is ready to sync
    And the merchant's schedule is daily at 6 in "Etc/UTC"
    When 1 day passes
    Then a scheduled sync has run
    When the merchant severs the accounting connection
    And 1 day passes
    Then the next scheduled sync has run and failed
    When 3 days pass
    Then no further scheduled sync has been attempted

  @DEL-4 @should @link
  Scenario: Deliveries are signed with Standard Webhooks headers
    Given a merchant who is ready to sync
    When the merchant severs the accounting connection
    Then every delivery of the event within 10 seconds carries Standard Webhooks headers whose signature verifies
