Feature: Integrations
  The partner lists the integrations a merchant can connect, a page at a time,
  each with its key, its name, its logo and whether it is enabled; and reads
  an integration's branding: the logo and button images to show in its own
  app, at addresses a browser can load.

  @INT-1 @should
  Scenario: The integrations are listed a page at a time, the run's platforms among them
    When the partner lists every integration on one page
    Then every integration has a key, a name, a logoUrl and whether it is enabled
    And the commerce key and the accounting key are among them
    When the partner lists the integrations again, a third of them a page
    Then each page holds its slice of the whole list, with the true totalResults and its links
    And the integrations list refuses page 0 and pageSize 5001 with 400

  @INT-2 @should
  Scenario: An integration's branding names its logo and button images at absolute addresses
    When the partner reads the branding of the commerce key and of the accounting key
    Then each branding holds logo and button images whose src are absolute URIs
    When the partner reads the branding of a platform key no integration has
    Then the branding is refused with 404 and an ErrorMessage
