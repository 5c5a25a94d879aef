"""The wire format: hand-written encoder and decoder for
``stepstream.v1.IngestRequest``.

The wire contract is ``proto/stepstream/v1/ingest.proto``; the canonical
encoding rules (field order, proto3 defaults omitted, packed columns, quiet
NaN) are in ``proto/testdata/README.md``, and the test suite checks this
package against the shared vectors byte for byte.

Pure Python with no dependency: ``messages`` holds the message types,
``encode`` the (hot) encoder, ``decode`` the decoder.
"""

from .decode import IngestRequest, ProtoDecodeError, decode_request
from .encode import VarintCache, encode_request
from .messages import RunInfo, RunStatus, Series

__all__ = [
    "RunStatus",
    "Series",
    "RunInfo",
    "IngestRequest",
    "encode_request",
    "decode_request",
    "ProtoDecodeError",
    "VarintCache",
]
