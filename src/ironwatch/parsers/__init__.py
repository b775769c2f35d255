"""Parsers: one module per format, registered in ``registry``.

Receivers move bytes, framing cuts messages, parsers make dicts (``base.Parser``), the
pipeline adds identity and stores. A new format is one module here plus its golden files.
"""
