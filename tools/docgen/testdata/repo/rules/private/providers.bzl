"""Providers of the demo."""

PartInfo = provider(doc = "A part.", fields = {"file": "File: the part."})
