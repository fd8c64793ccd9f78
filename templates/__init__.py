"""Jinja templates of the portal's pages (a package so that an installed portal finds them)."""
