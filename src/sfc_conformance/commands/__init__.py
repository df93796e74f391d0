"""The command-line commands: argument parsing and exit codes; nothing imports them."""
