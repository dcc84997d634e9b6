"""The practice history: every assessed take, stored in a local SQLite database (store), read back as
progress per piece (progress), drawn (plots) and exported (export)."""
