"""What one TensorBoard ``Event`` holds, decoded from its protobuf bytes
(tensorflow/core/util/event.proto, summary.proto, tensor.proto): its wall
time and step, and for each summary value either a scalar or the kind of
thing it is (image, histogram, text...) so the reader can report it."""

import struct
from typing import Dict, Iterator, List, Optional, Tuple

from ._wire import FIXED32, FIXED64, LENGTH, VARINT, as_double, as_float, as_int64, fields, packed_varints, text

# DataType of tensor.proto
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64, DT_BOOL, DT_HALF = 1, 2, 3, 9, 10, 19

# what a non-scalar plugin's data is called in the report
PLUGIN_KIND = {"images": "image", "histograms": "histogram", "text": "text", "audio": "audio", "pr_curves": "pr_curve"}
EVENT_KIND = {4: "graph", 9: "graph", 8: "run metadata"}


def _tensor_scalar(buf: memoryview) -> Optional[float]:
    """The value of a one-element numeric tensor, else None."""
    dtype, size, content = 0, 1, b""
    vals: List[float] = []
    for num, wt, v in fields(buf):
        if num == 1 and wt == VARINT:
            dtype = v  # type: ignore[assignment]
        elif num == 2 and wt == LENGTH:
            for dn, dwt, dim in fields(v):  # type: ignore[arg-type]
                if dn == 2 and dwt == LENGTH:
                    for sn, swt, s in fields(dim):  # type: ignore[arg-type]
                        if sn == 1 and swt == VARINT:
                            size *= as_int64(s)  # type: ignore[arg-type]
        elif num == 4 and wt == LENGTH:
            content = bytes(v)  # type: ignore[arg-type]
        elif num == 5:  # float_val
            vals += [as_float(v)] if wt == FIXED32 else list(struct.unpack("<%df" % (len(v) // 4), v))  # type: ignore
        elif num == 6:  # double_val
            vals += [as_double(v)] if wt == FIXED64 else list(struct.unpack("<%dd" % (len(v) // 8), v))  # type: ignore
        elif num in (7, 10, 11):  # int_val, int64_val, bool_val
            ints = [v] if wt == VARINT else packed_varints(v)  # type: ignore[arg-type]
            vals += [float(as_int64(i)) for i in ints]  # type: ignore[arg-type]
    if size != 1:
        return None
    if content:
        fmt = {DT_FLOAT: "<f", DT_DOUBLE: "<d", DT_INT32: "<i", DT_INT64: "<q", DT_BOOL: "<?", DT_HALF: "<e"}.get(dtype)
        if fmt is None or struct.calcsize(fmt) != len(content):
            return None
        return float(struct.unpack(fmt, content)[0])
    if dtype == DT_HALF and vals:  # half_val holds the 16 bits as ints
        return None
    return vals[0] if len(vals) == 1 else None


def _plugin(buf: memoryview) -> str:
    for num, wt, v in fields(buf):
        if num == 1 and wt == LENGTH:
            for pn, pwt, p in fields(v):  # type: ignore[arg-type]
                if pn == 1 and pwt == LENGTH:
                    return text(p)
    return ""


class Event:
    __slots__ = ("wall_time", "step", "values", "other")

    def __init__(self) -> None:
        self.wall_time = 0.0
        self.step = 0
        self.values: List[Tuple[str, Optional[float], str]] = []  # (tag, scalar or None, kind when not a scalar)
        self.other = ""  # the kind of a non-summary event worth reporting (graph...)


def decode_event(data: bytes, plugins: Dict[str, str]) -> Event:
    """``plugins`` remembers each tag's plugin: TensorBoard writes a tag's
    metadata with its first value only."""
    ev = Event()
    for num, wt, v in fields(data):
        if num == 1 and wt == FIXED64:
            ev.wall_time = as_double(v)  # type: ignore[arg-type]
        elif num == 2 and wt == VARINT:
            ev.step = as_int64(v)  # type: ignore[arg-type]
        elif num == 5 and wt == LENGTH:
            ev.values = list(_summary_values(v, plugins))  # type: ignore[arg-type]
        elif num in EVENT_KIND:
            ev.other = EVENT_KIND[num]
    return ev


def _summary_values(buf: memoryview, plugins: Dict[str, str]) -> Iterator[Tuple[str, Optional[float], str]]:
    for num, wt, value in fields(buf):
        if num != 1 or wt != LENGTH:
            continue
        tag, scalar, kind, tensor = "", None, "", None
        for vn, vwt, v in fields(value):  # type: ignore[arg-type]
            if vn == 1 and vwt == LENGTH:
                tag = text(v)
            elif vn == 2 and vwt == FIXED32:
                scalar = as_float(v)  # type: ignore[arg-type]
            elif vn in (3, 5):
                kind = "histogram"
            elif vn == 4:
                kind = "image"
            elif vn == 6:
                kind = "audio"
            elif vn == 8 and vwt == LENGTH:
                tensor = v
            elif vn == 9 and vwt == LENGTH:
                plugins[tag] = _plugin(v)  # type: ignore[arg-type]
        if scalar is not None:
            yield tag, scalar, ""
        elif tensor is not None:
            plugin = plugins.get(tag, "")
            if plugin == "scalars":
                got = _tensor_scalar(tensor)  # type: ignore[arg-type]
                yield (tag, got, "") if got is not None else (tag, None, "scalar that is not one number")
            else:
                yield tag, None, PLUGIN_KIND.get(plugin, plugin or "tensor")
        else:
            yield tag, None, kind or "empty value"
