"""Deadlines chased (DOMAIN rules 11 and 12): the 様式3 reminders to the bank and each agency's morning
digest of contacts due. ``plan`` decides what is due on a day (pure); ``run`` sends it through the
outbox, each notice once (``store.notices``); ``forms chase`` runs it once, ``forms serve`` every
business morning."""
