"""Access: portal users, their accounts and second factor, API tokens, attempt throttles and
the portal-wide settings admins change."""
