"""Claimed e-mail domains: a tenant proves each by DNS (or staff vouch) before Cognito uses it.

`names` says what may be claimed, `claims` records claims and decisions, `verification` looks
for the TXT record, on demand and from beat.
"""
