"""Every SQL statement head office runs, one module a table family; nothing else speaks SQL.

  schema    the tables, their migrations and the events' monthly partitions
  events    writing what the branches said (each event once, the newest state), reading a ticket's events
  branches  the registry and the branches' latest states
  accounts  head office's users and their sessions
  bookings  plans, bookings and what each branch holds
  reports   the cross-branch daily figures

The rules that decide what to write (booking_rules, accounts, network) are pure and tested
without PostgreSQL; `tests/test_package_boundaries.py` refuses SQL anywhere else.
"""
