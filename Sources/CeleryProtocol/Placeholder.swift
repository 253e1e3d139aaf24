// Placeholder: CeleryProtocol is being written.
