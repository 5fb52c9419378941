// Placeholder: the Queue module is being written.
