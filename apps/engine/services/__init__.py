"""The engine's services: the only code that changes engine state (STYLE rule 1).

Each trigger runs in one transaction under a lock on the instance row; see ``store``.
"""
