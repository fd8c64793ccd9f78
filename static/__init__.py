"""Static assets, all vendored (a package so that an installed portal finds them)."""
