"""`stocks-elt`, the command line: bootstrap, start and watch runs, run the services natively."""
