"""Typed settings for one stack, read from raw Pulumi config and validated once, before any resource exists.

`load_settings` (load.py) is pure but for reading the project's own files (the catalog `catalogFile` names,
catalog_file.py): it takes the raw config strings as the engine hands them to the program and returns `Settings`
(model.py) or raises `SettingsError` (problems.py) listing every problem at once. Each config section has its
module; targets.py is the table of targets and the rules only one target has.
"""

from infra.settings.backup import BackupSecrets, BackupSettings
from infra.settings.edge import DEFAULT_COMPATIBILITY_DATE, EdgeDeployment, EdgeSecrets, EdgeSettings
from infra.settings.keys import CONFIG_KEYS, ConfigKey
from infra.settings.load import load_settings
from infra.settings.model import ClusterPlan, Settings
from infra.settings.network import GatewaySettings, NetworkSettings, PodSelection
from infra.settings.patterns import CLIENT_NAME, SECRET_PLACEHOLDER
from infra.settings.problems import PROJECT, Problem, SettingsError, plain_text_secrets
from infra.settings.targets import TARGETS, TargetEntry, TargetName

__all__ = [
    "CLIENT_NAME",
    "CONFIG_KEYS",
    "DEFAULT_COMPATIBILITY_DATE",
    "PROJECT",
    "SECRET_PLACEHOLDER",
    "TARGETS",
    "BackupSecrets",
    "BackupSettings",
    "ClusterPlan",
    "ConfigKey",
    "EdgeDeployment",
    "EdgeSecrets",
    "EdgeSettings",
    "GatewaySettings",
    "NetworkSettings",
    "PodSelection",
    "Problem",
    "Settings",
    "SettingsError",
    "TargetEntry",
    "TargetName",
    "load_settings",
    "plain_text_secrets",
]
