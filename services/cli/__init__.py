"""`stocks-elt`, the command line: bootstrap, start runs and watch them, run the services natively."""
