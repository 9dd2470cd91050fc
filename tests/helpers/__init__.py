"""Helpers the tests import: stacks evaluated under Pulumi's mocks, and the external tools some tests run."""
