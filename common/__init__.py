"""The ground floor: small helpers with no Muse imports, usable from every layer (``models/`` and ``ledger/``
included)."""
