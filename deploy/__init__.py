"""Running Cascade: the `cascade` command, the embedded single-machine stack, production files."""
