Feature: The API contract
  Every answer of the run is held against our OpenAPI contract; paging and
  refusals are checked on purpose, and generated requests hunt for 5xx.

  @API-1 @must @whole_run @link
  Scenario: Every 2xx JSON answer validates against the contract
    Given a merchant who is ready to sync
    When the partner requests a sync
    And the partner reads the latest sync status
    Then every 2xx JSON answer of the run so far validates against the contract

  @API-2 @must @whole_run @shared_link
  Scenario: JSON answers are sent as application/json
    Given a shared merchant who is ready to sync
    Then every JSON answer of the run so far is sent as application/json

  @API-3 @must @whole_run
  Scenario: Every error answer is an ErrorMessage
    Given a shared merchant whose flow has been started
    When the partner reads a company with an unknown id
    And the partner sends a malformed JSON body to create a company
    Then every 4xx and 5xx answer of the run so far is an ErrorMessage whose statusCode equals the HTTP status

  @API-4 @must
  Scenario Outline: Paging is honoured
    Given a shared merchant whose flow has been started
    When the partner lists the connections with page <page> and pageSize <size>
    Then the page holds <count> connections of 2 in all
    And the page's links are self, current<links>

    Examples:
      | page | size | count | links            |
      | 1    | 1    | 1     | , next           |
      | 2    | 1    | 1     | , previous       |
      | 1    | 2    | 2     |                  |
      | 1    | 5000 | 2     |                  |

  @API-4 @must
  Scenario: Every connection is on exactly one page
    Given a shared merchant whose flow has been started
    When the partner lists the connections one at a time, page after page
    Then every connection is on exactly one page, in the order of the whole list

  @API-4 @must
  Scenario Outline: Paging out of bounds is refused
    Given a shared merchant whose flow has been started
    When the partner lists the connections with page <page> and pageSize <size>
    Then the answer is a 400 ErrorMessage

    Examples:
      | page | size |
      | 0    | 10   |
      | 1    | 5001 |
      | 1    | 0    |

  @API-5 @must @link
  Scenario: Generated requests never make the target fail
    Given a merchant who is ready to sync
    When the suite sends generated requests to every operation of the contract, and ids that do not exist
    Then no answer is a 5xx

  @API-6 @should @embedded_only
  Scenario: A rate-limited call carries Retry-After
    Given a new merchant company
    And the target allows 2 API calls a second
    When the partner makes 5 calls in the same second
    Then every 429 answer carries Retry-After

  @API-6 @should @live_only @whole_run
  Scenario: Every 429 seen during the run carries Retry-After
    Then every 429 answer of the run so far carries Retry-After
