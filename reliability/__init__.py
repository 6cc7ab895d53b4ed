"""Reliability suites: crash injection, tamper, fuzzing, concurrency and secret hygiene.

Each suite is a function returning figures; ``python -m reliability`` runs them all and prints one
table (``make reliability``); the tests in ``tests/reliability`` run short versions in CI.
"""
