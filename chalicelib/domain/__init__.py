"""The pure core: money rules with no I/O, no clock reads, no AWS or Google code."""
