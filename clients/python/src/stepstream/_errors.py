"""The errors this package raises of its own (bad values raise the built-in
TypeError / ValueError)."""


class StepstreamError(Exception):
    """Base class of the errors this package raises."""
