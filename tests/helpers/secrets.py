"""Reading secrets as the mocks' wire format carries them."""

from __future__ import annotations

from typing import Any

from infra.mock_runtime import SECRET_SIG


def unwrap_secret(value: Any) -> Any:
    """The value of a secret input; fails when the value is not a secret, which would leak it into state."""
    assert isinstance(value, dict) and value.get(SECRET_SIG), f"expected a secret, got {value!r}"
    return value["value"]
