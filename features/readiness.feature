Feature: Readiness to sync
  A merchant is ready exactly when both connections are Linked and the
  configuration is enabled and configured. The partner can check it: get the
  company, whose data connections must both be Linked, then the status of the
  merchant's configuration, whose enabled and configured must both be true.

  @READY-1 @must @shared_link
  Scenario: A fully onboarded merchant is ready
    Given a shared merchant who is ready to sync
    When the partner checks the merchant's readiness
    Then the merchant is ready

  @READY-1 @must @shared_link
  Scenario: A disabled sync is named, and nothing else
    Given a shared merchant who is ready to sync
    When the merchant disables the sync
    And the partner checks the merchant's readiness
    Then the merchant is not ready, and the only reason is that the sync is not enabled

  @READY-1 @must @link
  Scenario Outline: Each unmet condition is named, and nothing else
    Given a merchant who is ready to sync
    When <change>
    And the partner checks the merchant's readiness
    Then the merchant is not ready, and the only reason is that <unmet condition>

    Examples:
      | change                                                                          | unmet condition                          |
      | the merchant de-authorizes the accounting connection with status "Deauthorized" | the accounting connection is not Linked  |
      | the partner de-authorizes the commerce connection                               | the commerce connection is not Linked    |
      | the merchant severs the accounting connection                                   | the accounting connection is not Linked  |

  @READY-1 @must
  Scenario: A merchant who only started the flow is not ready, for every reason
    Given a shared merchant whose flow has been started
    When the partner checks the merchant's readiness
    Then the merchant is not ready because the accounting connection is not Linked
    And the merchant is not ready because the commerce connection is not Linked
    And the merchant is not ready because the sync is not configured

  @READY-2 @must
  Scenario: The company can be read back
    Given a shared merchant whose flow has been started
    When the partner reads the company
    Then the answer is the company with its id and name

  @READY-2 @must
  Scenario: An unknown company is not found
    When the partner reads a company with an unknown id
    Then the answer is a 404 ErrorMessage

  @READY-3 @should @shared_link
  Scenario: The enable flag is read under either name
    Given a shared merchant who is ready to sync
    When the partner reads the configuration
    Then the configuration's enable flag is present as "enable" or "enabled"
