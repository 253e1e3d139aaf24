// Placeholder: WorkerRuntime is being written.
