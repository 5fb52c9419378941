// Placeholder: the Loop module is being written.
