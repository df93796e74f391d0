Feature: Start the sync configuration flow
  The partner asks Codat for a sync flow URL for a merchant and sends the
  merchant there. The URL carries a one-time password and, when asked for,
  the address to send the merchant back to at the end of the flow.
  The first start call for a company is checked on a new one; later start
  calls with other inputs share one merchant whose flow has been started.

  @URL-1 @must
  Scenario: The start call answers an absolute flow URL
    Given a new merchant company
    When the partner asks for the sync flow URL
    Then the answer is an absolute http(s) flow URL

  @URL-2 @must
  Scenario: The flow URL carries the one-time password and the merchant
    Given a new merchant company
    When the partner asks for the sync flow URL
    Then the flow URL carries a one-time password of six or more digits
    And the flow URL carries the merchant identifier that was sent

  @URL-3 @must
  Scenario: Every start call issues a fresh one-time password
    Given a shared merchant whose flow has been started
    When the partner asks for the sync flow URL twice
    Then the two flow URLs carry different one-time passwords

  @URL-4 @must
  Scenario Outline: A redirect URL travels in the flow URL, exactly
    Given a shared merchant whose flow has been started
    When the partner asks for the sync flow URL with redirectUrl "<redirect>"
    Then the flow URL carries redirectUrl "<redirect>"

    Examples:
      | redirect                                         |
      | https://partner.example/onboarded?x=1            |
      | app.codat.io                                     |
      | https://partner.example/onboarded?a=1&b=2        |
      | https://partner.example/welcome back             |
      | https://partner.example/onboarded#next-steps     |
      | https://partner.example/café/bienvenue?nom=Zoë   |

  @URL-4 @must
  Scenario: Without a redirect URL the flow URL has none
    Given a new merchant company
    When the partner asks for the sync flow URL
    Then the flow URL carries no redirectUrl

  @URL-5 @should
  Scenario Outline: A script redirect URL is refused
    Given a shared merchant whose flow has been started
    When the partner asks for the sync flow URL with redirectUrl "<redirect>"
    Then the answer is a 400 ErrorMessage

    Examples:
      | redirect                            |
      | javascript:alert(document.cookie)   |
      | data:text/html,<b>hello</b>          |
      | VBScript:msgbox("hello")             |

  @URL-6 @must
  Scenario Outline: Unknown, malformed or misplaced platform keys are refused
    Given a shared merchant whose flow has been started
    When the partner asks for a sync flow URL with commerce key "<commerce>" and accounting key "<accounting>"
    Then the answer is refused with 400 or 404 and an ErrorMessage

    Examples:
      | commerce     | accounting   |
      | $commerce    | zzzz         |
      | zzzz         | $accounting  |
      | $commerce    | GBOL         |
      | $commerce    | gb           |
      | $commerce    | $commerce    |
