"""The ``ironwatch`` command line."""
