Feature: Customizing the sync flow
  The partner customizes the flow its merchants see, for its whole account:
  the text of each piece of the flow, in each locale the flow speaks (en-us
  and fr-fr), and which account entries the flow offers the merchants of each
  commerce platform; required entries are always offered. Customizing changes
  what the merchant sees, and nothing else. A run puts every setting it
  changed back as it found it.

  @CUST-1 @must
  Scenario: The flow's text is read per locale, and only per locale
    When the partner reads the flow's text in "en-us" and in "fr-fr"
    Then each answer is an object of text keys, each a text or a text with whether it is required
    When the partner reads the flow's text without a locale and in "de-de"
    Then each of those is refused with a 4xx ErrorMessage

  @CUST-2 @must
  Scenario: A changed text shows in its locale only; an empty text is kept; null restores the default
    When the partner changes one text key in "en-us" to a text of its own
    Then that locale shows the text for the key, and every other key as it was
    And the other locale is as it was
    When the partner changes that key to an empty text
    Then that locale shows an empty text for the key, and every other key as it was
    When the partner sets that key to null, after the empty text and again after another text of its own
    Then the key shows its default both times, never a text of its own

  @CUST-3 @must
  Scenario: The partner chooses the account entries the flow offers for a commerce platform
    Given a shared merchant whose flow has been started
    When the partner reads its client id in a flow URL
    And the partner sets the commerce platform's visible accounts to all, one entry, none, a hidden entry and all again
    Then each read answered what was set, with every required entry, and every entry when none was chosen
    And the other platform's visible accounts are as they were
    And a platform key that is not four lower-case letters is refused with a 4xx

  @CUST-4 @must @shared_link
  Scenario: Customizing the flow changes no merchant's configuration
    Given a shared merchant who is ready to sync
    When the partner notes the merchant's configuration
    And the partner changes a text in each locale, and shows no account entry it may hide, then every one, for the merchant's commerce platform
    Then the merchant's configuration is as it was
