Feature: Authorization of the merchant's connections
  Starting the flow gives the company a commerce and an accounting
  connection, waiting for authorization; the merchant's authorization links
  the accounting one.

  Background:
    Given a new merchant company

  @LINK-1 @must
  Scenario: The start call creates both connections, pending
    When the partner asks for the sync flow URL
    Then the company has one Commerce connection with the commerce key and one Accounting connection with the accounting key
    And both connections are PendingAuth

  @LINK-2 @must
  Scenario: Starting again creates no further connections
    When the partner asks for the sync flow URL twice
    Then the company has exactly 2 connections

  @LINK-3 @must @link
  Scenario: The merchant's authorization links the accounting connection
    Given the partner has started the sync flow
    When the merchant authorizes the accounting connection
    Then the accounting connection is Linked with a linkUrl and a created date
