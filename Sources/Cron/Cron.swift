// Placeholder: the Cron module is being written.
