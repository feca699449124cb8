"""The local stack: moto's server, Sheets and vendor emulators, demo data."""
