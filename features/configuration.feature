Feature: Configuration of the sync
  Once authorized, the merchant chooses accounts, tax rate mapping, invoice
  status, grouping period and the schedule: its start date, start time and
  frequency. The target says whether that makes
  the sync configured; it never takes the partner's word for it.

  @CONF-1 @must
  Scenario: Before configuration the sync is not configured
    Given a shared merchant whose flow has been started
    When the partner reads the configuration
    Then the configuration is not configured

  @CONF-2 @must @shared_link
  Scenario: A linked accounting connection offers choices
    Given a shared merchant whose accounting connection is authorized
    When the partner reads the configuration
    Then the configuration offers account, tax rate, invoice status and grouping period options

  @CONF-3 @must @link
  Scenario: Valid choices are stored and the sync is configured
    Given a new merchant company
    And the partner has started the sync flow
    And the merchant has authorized the accounting connection
    When the merchant configures the sync with valid choices, starting tomorrow
    Then the next configuration read returns the merchant's choices
    And the configuration is configured

  @CONF-3 @must @link
  Scenario: Every frequency the target offers can be chosen
    Given a new merchant company
    And the partner has started the sync flow
    And the merchant has authorized the accounting connection
    When the merchant configures the sync with each frequency offered in turn
    Then every one of them was stored and returned

  @CONF-4 @must @link
  Scenario: The target derives configured, whatever the request claims
    Given a new merchant company
    And the partner has started the sync flow
    And the merchant has authorized the accounting connection
    When the merchant posts a configuration that leaves a required account unselected and claims it is configured
    Then the configuration is not configured

  @CONF-5 @must @shared_link
  Scenario Outline: Invalid choices are refused and nothing is stored
    Given a shared merchant whose accounting connection is authorized
    When the merchant posts a configuration with <invalid choice>
    Then the answer is a 400 ErrorMessage with validation errors
    And the stored configuration is unchanged

    Examples:
      | invalid choice                           |
      | syncHour 24                              |
      | syncHour -1                              |
      | a frequency that is not offered          |
      | time zone "Mars/Olympus_Mons"            |
      | an account that is not offered           |
      | an invoice status that is not offered    |
      | a grouping period that is not offered    |

  @CONF-6 @must @link
  Scenario: The schedule defaults to midnight UTC
    Given a new merchant company
    And the partner has started the sync flow
    And the merchant has authorized the accounting connection
    When the merchant configures the sync without syncHour and timeZone
    Then the schedule's syncHour is 0 and its timeZone is "Etc/UTC"

  @CONF-7 @must
  Scenario: Configuring before the accounting connection is linked is refused
    Given a shared merchant whose flow has been started
    When the merchant tries to configure the sync
    Then the configuration is refused because the accounting connection is not linked yet
    And the configuration is not configured
