"""Schemathesis hooks for the OpenAPI fuzz suite (loaded through
SCHEMATHESIS_HOOKS): ingest's body is protobuf bytes, sent as the binary
strings Schemathesis generates for it."""

import schemathesis

schemathesis.serializer.alias("application/x-protobuf", "application/octet-stream")
