// Placeholder: Broker is being written.
