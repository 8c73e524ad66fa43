"""Real loopback HTTP servers for source tests: a small scripted API, OAuth2/JWT checks, a test PKI."""
