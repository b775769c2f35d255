"""Identity and access: users, roles, sessions, API tokens, login protection.

Everything that decides who may do what lives in this package; the web layer and the CLI
socket only ask it. Roles are checked in one place (``web/access.py``'s ``require``).
"""
