"""Benchmark: the program's cost per registered resource against Pulumi's own floor (`python -m bench`)."""
