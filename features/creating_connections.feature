Feature: Creating a connection
  Besides the two connections the sync flow creates, the partner can create a
  connection for a company to any integration it offers, by its platform key.
  The new connection waits for the merchant's authorization (PendingAuth) and
  is listed with the company's other connections from then on. A platform key
  no integration has, or a company that does not exist, is refused.

  @LINK-4 @must
  Scenario: A connection created with a known platform key waits for authorization, listed from then on
    Given a new merchant company
    When the partner creates a connection with the accounting key
    Then the answer is a PendingAuth connection with that platform key
    And the company lists that connection as PendingAuth, and no other new one
    When the partner creates a connection with the commerce key
    Then the answer is a PendingAuth connection with that platform key
    And the company lists that connection as PendingAuth, and no other new one
    When the partner creates a connection with a platform key no integration has
    Then the connection is refused with a 4xx ErrorMessage, and the company lists no new connection
    When the partner creates a connection with the malformed platform key "GBOL"
    Then the connection is refused with a 4xx ErrorMessage, and the company lists no new connection
    When the partner creates a connection for a company that does not exist
    Then the connection is refused with 404 and an ErrorMessage
