// Placeholder: HostDatabase is being written.
