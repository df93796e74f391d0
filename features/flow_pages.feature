Feature: The sync flow pages
  The merchant's side of the flow, as the embedded sandbox serves it: the
  pages must leave the same state the API does, end on a success page or the
  partner's redirect, and show the schedule when the merchant comes back.

  @FLOW-1 @must @embedded_only
  Scenario: The flow pages and the API leave the same state
    Given a new merchant company
    And another merchant company
    When the merchant authorizes and configures through the flow pages
    And the other merchant makes the same choices through the API
    Then both merchants have the same connection statuses and the same configuration

  @FLOW-2 @must @embedded_only
  Scenario: Without a redirect URL the flow ends on a success page
    Given a new merchant company
    And the partner has started the sync flow
    When the merchant authorizes and configures through the flow pages
    Then the merchant sees a success page

  @FLOW-2 @must @embedded_only
  Scenario: With a redirect URL the flow ends by redirecting there
    Given a new merchant company
    When the partner asks for the sync flow URL with redirectUrl "https://partner.example/done"
    And the merchant authorizes and configures through the flow pages
    Then the merchant is redirected to "https://partner.example/done"

  @FLOW-3 @must @embedded_only
  Scenario: A configured merchant comes back to the settings page
    Given a merchant who is ready to sync
    And the merchant's schedule is daily at 7 in "Europe/London"
    When the partner requests a sync
    And the partner asks for the sync flow URL again
    And the merchant opens the flow URL straight away
    Then the settings page shows the last and the next sync
    And the next sync is the next 07:00 in "Europe/London"
