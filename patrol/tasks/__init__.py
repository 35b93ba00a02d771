"""Duty list and task admission, burden ledger, key places, joint patrol participants."""
