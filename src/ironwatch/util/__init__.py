"""Small shared mechanisms that are not a domain of their own (shared counters, sockets)."""
