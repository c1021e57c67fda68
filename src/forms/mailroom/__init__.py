"""The mailroom: the worker (spool → store → decide → outbox → send), `forms serve`, returned 様式3."""
