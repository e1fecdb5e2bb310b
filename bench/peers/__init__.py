"""bench.peers: this project and its peers side by side on one loopback server."""
