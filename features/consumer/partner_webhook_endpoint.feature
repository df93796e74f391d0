Feature: The partner's webhook endpoint
  The suite plays Codat: it delivers connection.deleted events, signed as
  Standard Webhooks say, to the partner's own endpoint, and judges the answers.
  Run by `sfc-conformance consumer --url URL`, never by `sfc-conformance run`.

  @PWH-1 @must
  Scenario: A correctly signed delivery is acknowledged in time
    When the suite delivers a correctly signed connection.deleted event
    Then the endpoint answers 2xx within 15 seconds

  @PWH-2 @must
  Scenario Outline: A delivery that is not correctly signed is refused
    Given the signing secret
    When the suite delivers a connection.deleted event <variant>
    Then the endpoint refuses it with a 4xx

    Examples:
      | variant                                  |
      | without signature headers                |
      | with a wrong signature                   |
      | signed more than 5 minutes ago           |

  @PWH-3 @should
  Scenario: A retry is acknowledged
    Given a connection.deleted delivery the endpoint acknowledged
    When the suite delivers it again with the same webhook-id
    Then the endpoint acknowledges the retry

  @PWH-4 @should
  Scenario: An event of an unknown type is acknowledged
    Given the endpoint takes the suite's signatures
    When the suite delivers a correctly signed event of a type the endpoint does not know
    Then the endpoint answers 2xx within 15 seconds

  @PWH-5 @should
  Scenario: A burst of deliveries is acknowledged
    Given the endpoint takes the suite's signatures
    When the suite delivers 20 correctly signed connection.deleted events at once
    Then every delivery is answered 2xx within 15 seconds
