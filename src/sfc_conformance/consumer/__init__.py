"""The partner's own webhook endpoint (PWH-1..5): the suite plays Codat and delivers ``connection.deleted``.

    deliveries   the events, and every kind of delivery one check makes (KINDS): signed, or wrong one way each
    endpoint     posting them through the project's one client; the first one is the reachability probe
    checks       the PWH judgements, from the answers
    plugin       the pytest plugin that makes the verdict (features/consumer/, steps in ``scenarios``)
    faults       the catalog of broken consumers, each breaking one PWH rule
    reference    the reference consumer: a minimal correct endpoint, and each fault switched on in one place
"""
