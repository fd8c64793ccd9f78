"""Tenants: their records, the list, the wizard's drafts, bulk import and the hand-over."""
