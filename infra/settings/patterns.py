"""Shapes of config values that several sections share."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from components.spec import validate_host_name

KUBE_QUANTITY = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti)$"
DNS_LABEL = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
CLOUDFLARE_ID = r"^[0-9a-f]{32}$"
PUBLIC_HOSTNAME = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
BROWSER_ORIGIN = r"^https://([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(:[0-9]{1,5})?$"
SHA256_HEX = r"^[0-9a-f]{64}$"
CLIENT_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
CRON_FIELD = r"[0-9*,/-]+"
SECRET_PLACEHOLDER = "<placeholder: secret not set in this render>"
"""What a credential-free render puts where a declared secret has no value."""

HostName = Annotated[str, AfterValidator(validate_host_name)]
LabelMap = Annotated[dict[str, str], Field(min_length=1)]
