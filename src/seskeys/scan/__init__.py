"""The leak scanner: finds SES access key ids, secret access keys and SMTP passwords in files,
e-mails, office documents, notebooks and git history, and says whose key each one is.

Layout: ``detectors`` (byte-level rules), ``known`` (exact search for known secrets),
``sources`` (files, e-mail, office, notebooks), ``git`` (history blobs), ``worker`` (one file
or blob; the pool's functions), ``attribution`` (matching to the ledger and judging),
``baseline`` (accepted values as salted hashes), ``scanner`` (the service).
"""
