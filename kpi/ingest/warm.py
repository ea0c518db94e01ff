"""Loaded by the parsing processes' server before it forks them (kpi.ingest.isolation): the parsers and
Arrow's compute kernels are set up once, so each parse starts in milliseconds and the address space it
starts with already holds what Arrow reserves on first use, outside the parse's own memory budget."""
import pyarrow as pa
import pyarrow.compute as pc

from kpi import appendix  # noqa: F401 - the Appendix reader, for plan uploads
from kpi.ingest import readers

pc.utf8_trim_whitespace(pa.array(["x"]))
readers.kind_of("warm-up", b"x")
