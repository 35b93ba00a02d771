"""Offline sync: batched idempotent push of the phone's outbox and an incremental pull of its scope."""
