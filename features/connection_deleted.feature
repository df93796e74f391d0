Feature: The merchant severs the connection
  When the merchant deletes the accounting connection, subscribers hear of it
  through a connection.deleted webhook and no further sync succeeds.

  Background:
    Given the partner is subscribed to connection.deleted webhooks
    And a merchant who is ready to sync

  @DEL-1 @must
  Scenario: Deleting the connection notifies every subscriber
    When the merchant severs the accounting connection
    Then one connection.deleted webhook arrives within 10 seconds for that company and connection
    And the webhook is a ConnectionWebhook

  @DEL-2 @must
  Scenario: No sync succeeds after the deletion
    When the merchant severs the accounting connection
    And the partner requests a sync
    Then the sync does not succeed
    And the latest sync status is not Complete for any sync after the deletion

  @DEL-3 @must @embedded_only
  Scenario: The schedule stops after the deletion
    When 1 day passes
    Then a scheduled sync has run
    When the merchant severs the accounting connection
    And 3 days pass
    Then no scheduled sync has run since the deletion

  @DEL-4 @should
  Scenario: Deliveries are signed with Standard Webhooks headers
    When the merchant severs the accounting connection
    Then the webhook carries Standard Webhooks headers whose signature verifies
    And a forged delivery is refused
