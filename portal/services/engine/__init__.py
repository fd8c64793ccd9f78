"""The run engine: queueing runs, executing their steps, what each kind of run means, the
Cognito gateways and call ledger, and life after day one (plan/apply, drift, reminders)."""
