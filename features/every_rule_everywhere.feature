Feature: Every rule, everywhere
  A model of a conforming target holds companies, their connections, configurations, syncs,
  subscriptions, the flow's texts and the account entries it offers, and predicts every answer
  (or the answers the profile leaves open). Random sequences of calls drive the target through
  every company state, with every value each choice allows, every kind of invalid one and every
  credential that is not the key; each answer is held to the model. A breach is shrunk to its shortest sequence and reported under the rule it breaks,
  with the seed that replays it. The model runs once a run; each rule is judged on what it found.

  @must @model
  Scenario Outline: The model finds no breach of a rule
    Given the model of a conforming target has driven the target through random sequences of calls
    Then the model found no breach of <rule>

    @URL-1
    Examples: URL-1
      | rule  |
      | URL-1 |

    @URL-2
    Examples: URL-2
      | rule  |
      | URL-2 |

    @URL-3
    Examples: URL-3
      | rule  |
      | URL-3 |

    @URL-4
    Examples: URL-4
      | rule  |
      | URL-4 |

    @URL-6
    Examples: URL-6
      | rule  |
      | URL-6 |

    @KEY-1
    Examples: KEY-1
      | rule  |
      | KEY-1 |

    @KEY-2
    Examples: KEY-2
      | rule  |
      | KEY-2 |

    @LINK-1
    Examples: LINK-1
      | rule   |
      | LINK-1 |

    @LINK-2
    Examples: LINK-2
      | rule   |
      | LINK-2 |

    @LINK-3
    Examples: LINK-3
      | rule   |
      | LINK-3 |

    @LINK-4
    Examples: LINK-4
      | rule   |
      | LINK-4 |

    @CONF-1
    Examples: CONF-1
      | rule   |
      | CONF-1 |

    @CONF-2
    Examples: CONF-2
      | rule   |
      | CONF-2 |

    @CONF-3
    Examples: CONF-3
      | rule   |
      | CONF-3 |

    @CONF-4
    Examples: CONF-4
      | rule   |
      | CONF-4 |

    @CONF-5
    Examples: CONF-5
      | rule   |
      | CONF-5 |

    @CONF-6
    Examples: CONF-6
      | rule   |
      | CONF-6 |

    @CONF-7
    Examples: CONF-7
      | rule   |
      | CONF-7 |

    @REV-1
    Examples: REV-1
      | rule  |
      | REV-1 |

    @REV-2
    Examples: REV-2
      | rule  |
      | REV-2 |

    @REV-3
    Examples: REV-3
      | rule  |
      | REV-3 |

    @REV-4
    Examples: REV-4
      | rule  |
      | REV-4 |

    @DEL-1
    Examples: DEL-1
      | rule  |
      | DEL-1 |

    @DEL-2
    Examples: DEL-2
      | rule  |
      | DEL-2 |

    @READY-1
    Examples: READY-1
      | rule    |
      | READY-1 |

    @READY-2
    Examples: READY-2
      | rule    |
      | READY-2 |

    @API-1
    Examples: API-1
      | rule  |
      | API-1 |

    @API-2
    Examples: API-2
      | rule  |
      | API-2 |

    @API-3
    Examples: API-3
      | rule  |
      | API-3 |

    @API-4
    Examples: API-4
      | rule  |
      | API-4 |

    @API-5
    Examples: API-5
      | rule  |
      | API-5 |

    @CUST-1
    Examples: CUST-1
      | rule   |
      | CUST-1 |

    @CUST-2
    Examples: CUST-2
      | rule   |
      | CUST-2 |

    @CUST-3
    Examples: CUST-3
      | rule   |
      | CUST-3 |

    @CUST-4
    Examples: CUST-4
      | rule   |
      | CUST-4 |

    @SYNC-1
    Examples: SYNC-1
      | rule   |
      | SYNC-1 |

    @SYNC-2
    Examples: SYNC-2
      | rule   |
      | SYNC-2 |

    @SYNC-3
    Examples: SYNC-3
      | rule   |
      | SYNC-3 |

  @should @model
  Scenario Outline: The model finds no breach of a recommendation
    Given the model of a conforming target has driven the target through random sequences of calls
    Then the model found no breach of <rule>

    @URL-5
    Examples: URL-5
      | rule  |
      | URL-5 |

    @INT-1
    Examples: INT-1
      | rule  |
      | INT-1 |

    @INT-2
    Examples: INT-2
      | rule  |
      | INT-2 |
