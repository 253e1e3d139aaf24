// Placeholder: PythonCompat is being written.
