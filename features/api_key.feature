Feature: The API key
  Every API call carries "Authorization: Basic" and the base64 of the API key.
  Anything else is refused and changes nothing; the key never comes back.

  @KEY-1 @must @shared_link
  Scenario Outline: A call without the right key is refused and changes nothing
    Given a shared merchant who is ready to sync
    When the partner calls "<call>" with <credentials>
    Then the answer is a 401 ErrorMessage
    And nothing has changed for the merchant

    Examples:
      | call                     | credentials                         |
      | create a company         | no Authorization header             |
      | start the flow           | no Authorization header             |
      | read the company         | a wrong API key                     |
      | list the connections     | a Bearer token                      |
      | authorize a connection   | no Authorization header             |
      | read the configuration   | the key as HTTP Basic user:password |
      | set the configuration    | a wrong API key                     |
      | update a connection      | a Bearer token                      |
      | delete a connection      | a wrong API key                     |
      | subscribe to webhooks    | no Authorization header             |
      | request a sync           | a Bearer token                      |
      | read the latest sync     | the key as HTTP Basic user:password |

  @KEY-2 @must @whole_run @shared_link
  Scenario: The API key never comes back
    Given a shared merchant who is ready to sync
    When the partner asks for the sync flow URL
    Then no answer, header or flow URL of the run so far contains the API key
