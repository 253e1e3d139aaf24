// Placeholder: TestSupport is being written.
