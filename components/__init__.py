"""Reusable ComponentResources, one module per target and kind, wiring the renderers' output into resources.

A component publishes its outputs as attributes annotated where `__init__` assigns them, never as class-level
annotations: Pulumi's SDK reads a resource class's annotations as output types and evaluates them on every
registration (a new class and `get_type_hints` each time), which for one component per service adds up.
"""
