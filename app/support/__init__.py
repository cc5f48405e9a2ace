"""The support list: who is likely to be offered a date soon and to struggle to take it.

Support never changes the waiting list: the list is read from the served ranking, and risk is
not a priority factor (``docs/support-model.md``).
"""
