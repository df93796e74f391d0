Feature: Readiness to sync
  A merchant is ready exactly when both connections are Linked and the
  configuration is enabled and configured. The partner can check it.

  @READY-1 @must
  Scenario: A fully onboarded merchant is ready
    Given a merchant who is ready to sync
    When the partner checks the merchant's readiness
    Then the merchant is ready

  @READY-1 @must
  Scenario Outline: Each unmet condition is named
    Given a merchant who is ready to sync
    When <change>
    And the partner checks the merchant's readiness
    Then the merchant is not ready because "<reason>"

    Examples:
      | change                                                        | reason                           |
      | the merchant disables the sync                                | `enable` is false               |
      | the merchant de-authorizes the accounting connection with status "Deauthorized" | Accounting connection |
      | the partner de-authorizes the commerce connection             | Commerce connection              |
      | the merchant severs the accounting connection                 | Accounting connection            |

  @READY-1 @must
  Scenario: A merchant who only started the flow is not ready, for every reason
    Given a new merchant company
    And the partner has started the sync flow
    When the partner checks the merchant's readiness
    Then the merchant is not ready because "Accounting connection"
    And the merchant is not ready because "Commerce connection"
    And the merchant is not ready because "`configured` is false"

  @READY-2 @must
  Scenario: The company can be read back
    Given a new merchant company
    When the partner reads the company
    Then the answer is the company with its id and name

  @READY-2 @must
  Scenario: An unknown company is not found
    When the partner reads a company with an unknown id
    Then the answer is a 404 ErrorMessage

  @READY-3 @should
  Scenario: The enable flag is read under either name
    Given a merchant who is ready to sync
    When the partner reads the configuration
    Then the configuration's enable flag is present as "enable" or "enabled"
