"""The merchant's side of the flow: what a merchant sees on a flow page, in a browser or without one."""
