Feature: The partner's webhook endpoint
  The suite plays Codat: it delivers connection.deleted events, signed as
  Standard Webhooks say, to the partner's own endpoint, and judges the answers.
  Every bound is tried from both sides (the 5-minute tolerance just inside and
  just outside, in the past and in the future), every way a signature can be
  wrong is refused, and every delivery a sender may make is acknowledged.
  Run by `sfc-conformance consumer --url URL`, never by `sfc-conformance run`.

  @PWH-1 @must
  Scenario: A correctly signed delivery is acknowledged in time
    When the suite delivers a correctly signed connection.deleted event
    Then the endpoint answers 2xx within 15 seconds

  @PWH-1 @must
  Scenario Outline: Every correctly signed delivery is acknowledged in time
    Given the endpoint takes the suite's signatures
    When the suite delivers a connection.deleted event <delivery>
    Then the endpoint answers 2xx within 15 seconds

    Examples: inside the 5-minute tolerance, on both sides of now
      | delivery                       |
      | signed 4 min 30 s ago          |
      | signed for 4 min 30 s from now |

    Examples: as a sender may write it
      | delivery                               |
      | with fields the contract does not know |
      | written as indented JSON               |

  @PWH-2 @must
  Scenario Outline: A delivery that is not correctly signed is refused
    Given the signing secret
    When the suite delivers a connection.deleted event <delivery>
    Then the endpoint refuses it with a 4xx

    Examples: without signature headers
      | delivery                             |
      | without signature headers            |
      | without its webhook-id header        |
      | without its webhook-timestamp header |
      | without its webhook-signature header |

    Examples: with a wrong signature
      | delivery                                                     |
      | with a wrong signature                                       |
      | whose body is not the one signed                             |
      | signed for another webhook-id                                |
      | signed for another timestamp                                 |
      | whose signature has no v1 prefix                             |
      | whose signature is not base64                                |
      | signed only with an unknown signature version                |
      | with a wrong signature under the first delivery's webhook-id |

    Examples: with a timestamp more than 5 minutes off, on both sides of now
      | delivery                       |
      | signed 5 min 30 s ago          |
      | signed for 5 min 30 s from now |

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

  @PWH-4 @should
  Scenario Outline: A signature the endpoint cannot verify, beside one it can, is ignored
    Given the endpoint takes the suite's signatures
    When the suite delivers a connection.deleted event <delivery>
    Then the endpoint answers 2xx within 15 seconds

    Examples: several signatures, as Standard Webhooks allows while a key is rotated
      | delivery                                                     |
      | signed with a retired key and with the secret                |
      | signed with the secret and with an unknown signature version |

  @PWH-5 @should
  Scenario: A burst of deliveries is acknowledged
    Given the endpoint takes the suite's signatures
    When the suite delivers 20 correctly signed connection.deleted events at once
    Then every delivery is answered 2xx within 15 seconds
