"""A local stand-in for the MKA1 image API: a real HTTP server with fault injection."""
