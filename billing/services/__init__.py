"""How credits move: the only writes on the ledger, one module per job.

`wallets` (open, charge, grant, the low-balance threshold), `holds`, `refunds` and `topups`
are what callers use; `movements` holds the steps they are all made of.

Every movement is one immutable `Transfer` plus, in the same transaction, the change to the
wallet's cached `balance`/`held`. Wallet rows are changed by single guarded statements
(`... WHERE balance - held >= amount RETURNING ...`): the database row lock serialises
concurrent debits and one changed row means success, so nothing is read and written back
from Python. Every function is idempotent by its reference: the transfer INSERT uses
`ON CONFLICT (kind, reference) DO NOTHING`, and when the reference was already used the
wallet change is undone in the same transaction and the first transfer is returned.
"""
