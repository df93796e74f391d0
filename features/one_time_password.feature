Feature: The one-time password in the flow URL
  The flow URL works for 30 seconds, once, and only for the merchant it was
  issued to. After that the merchant sees a 401 and the partner asks again.

  @OTP-1 @must
  Scenario: A flow URL opened straight away opens the flow
    Given a new merchant company
    And the partner has started the sync flow
    When the merchant opens the flow URL straight away
    Then the flow opens

  @OTP-1 @must @late_otp
  Scenario: A flow URL opened late in its 30 seconds still opens the flow
    Given a new merchant company whose flow URL will be opened late
    When the merchant opens the flow URL late in its window
    Then the flow opens

  @OTP-1 @must @embedded_only
  Scenario: A flow URL opened just inside the window opens the flow
    Given a new merchant company
    And the partner has started the sync flow
    When the merchant opens the flow URL 29.999 seconds after it was issued
    Then the flow opens

  @OTP-2 @must @embedded_only
  Scenario Outline: A flow URL opened 30 seconds or more after issue is refused
    Given a new merchant company
    And the partner has started the sync flow
    When the merchant opens the flow URL <seconds> seconds after it was issued
    Then the flow refuses the link with 401

    Examples:
      | seconds |
      | 30      |
      | 31      |
      | 3600    |

  @OTP-2 @must @expired_open
  Scenario: A flow URL opened just after its window closed is refused
    Given a new merchant company whose flow URL will be opened once its window has closed
    When the merchant opens the flow URL just after its window closed
    Then the flow refuses the link with 401

  @OTP-3 @must @expired_otp
  Scenario: After expiry a new start call gives a flow URL that works
    Given a flow URL that has expired
    When the partner asks for the sync flow URL again
    And the merchant opens the flow URL straight away
    Then the flow opens

  @OTP-4 @must
  Scenario: The one-time password is bound to its merchant
    Given a new merchant company
    And another merchant company
    And the partner has started the sync flow
    When the merchant opens the flow URL with the other merchant's identifier
    Then the flow refuses the link with 401

  @OTP-4 @must
  Scenario: A changed one-time password is refused
    Given a new merchant company
    And the partner has started the sync flow
    When the merchant opens the flow URL with one digit of the one-time password changed
    Then the flow refuses the link with 401

  @OTP-5 @should
  Scenario: A flow URL works once
    Given a new merchant company
    And the partner has started the sync flow
    When the merchant opens the flow URL straight away
    And the merchant opens the flow URL again
    Then the flow refuses the link with 401

  @OTP-6 @should
  Scenario: One-time passwords are unpredictable
    Given a new merchant company
    When the partner asks for the sync flow URL 20 times
    Then the one-time passwords never repeat and form no arithmetic progression
