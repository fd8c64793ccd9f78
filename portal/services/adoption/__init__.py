"""Moving in: finding the tenants a vendor onboarded by hand, and adopting them."""
