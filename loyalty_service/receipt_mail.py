"""The sender of the durable e-mail queue (``receipt_emails``): digital receipts to the SMTP relay
given by ``--smtp-url``, retried, never twice.

Every service process may run a sender; each row is claimed with a lease in a write transaction
(a conditional UPDATE, so of processes racing for it one wins), sent, then marked sent. Should a
process die between the relay's accept and the mark, the lease runs out and the row is sent again
with the same ``Message-ID`` (made from the sale), so a relay can drop the duplicate. Temporary
refusals (4xx, connection refused, a timeout) are retried after a growing delay; permanent ones
(5xx) mark the row failed with the reason. Without ``--smtp-url`` nothing is sent: rows wait.
"""
