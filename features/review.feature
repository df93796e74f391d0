Feature: The merchant reviews the configuration
  The same flow URL later opens the merchant's settings: enable or disable,
  change the schedule (start date, start time, frequency), the accounts, the
  tax rate mapping, the invoice status and the grouping period, or
  de-authorize. Reviewing changes only the configuration, so these share one
  ready merchant, whose configuration is put back before the next scenario
  borrows it; de-authorizing does not, so each of those has its own.

  @REV-1 @must @shared_link
  Scenario: Starting the flow again keeps the configuration
    Given a shared merchant who is ready to sync
    When the partner asks for the sync flow URL again
    Then the configuration still holds the merchant's choices
    And the configuration is configured

  @REV-2 @must @shared_link
  Scenario: Disabling keeps the configuration, enabling restores the sync
    Given a shared merchant who is ready to sync
    When the merchant disables the sync
    Then the sync is disabled and still configured
    When the merchant enables the sync again
    Then the sync is enabled and configured

  @REV-3 @must @shared_link
  Scenario Outline: A changed choice is stored and returned
    Given a shared merchant who is ready to sync
    When the merchant changes the <choice>
    Then the configuration returns the changed <choice>

    Examples:
      | choice           |
      | schedule         |
      | sales account    |
      | tax rate mapping |
      | invoice status   |
      | grouping period  |

  @REV-4 @must @link
  Scenario Outline: De-authorizing leaves the accounting connection unlinked
    Given a merchant who is ready to sync
    When the merchant de-authorizes the accounting connection with status "<status>"
    Then the accounting connection is not Linked

    Examples:
      | status       |
      | Deauthorized |
      | Unlinked     |
