"""HTTP: the API (and later the console), served by the core over HTTPS."""
