// Placeholder: CurlHTTP is being written.
