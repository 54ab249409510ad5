"""The entities service's rules, as data and pure functions (no I/O)."""
