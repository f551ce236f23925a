"""The scheduler: publishes the incremental run request of each cron slot, once per slot."""
