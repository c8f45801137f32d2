"""Federation: TAXII 2.1 server and client, peers, sync and signing (docs/federation.md)."""
