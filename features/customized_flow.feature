Feature: The customized flow, as the merchant sees it
  What the partner customizes is what its merchants see. The flow marks each
  text a partner can change with its text key (data-textkey), as Codat's flow
  does, and shows there the partner's text in the flow's language: a merchant
  who opens the flow in French reads the French texts. The configure screen
  offers the account entries the partner shows for the merchant's commerce
  platform, and always the required ones. A run puts every text and every
  visible account it changed back as it found them.

  @CUST-5 @must @shared_link
  Scenario: The merchant opens the flow in French and sees the partner's texts; an entry the partner hid is not offered, a required one is
    Given a shared merchant whose accounting connection is authorized
    And the partner shows every account entry for the merchant's commerce platform
    When the merchant opens the flow on its configure screen
    And the partner changes texts the flow marks in "fr-fr" and hides an entry it offers that is not required
    And the merchant opens the flow in "en-us"
    Then wherever the flow marks a text key, it shows the partner's text in the flow's language
    When the merchant opens the flow in "fr-fr"
    Then wherever the flow marks a text key, it shows the partner's text in the flow's language
    And the entry the partner hid is not offered, and every required entry still is
