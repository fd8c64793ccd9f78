"""Which AWS partition a region is in, and the host names Cognito uses there.

The partition and its DNS suffix come from botocore's own partition data (endpoints.json,
shipped with botocore: no network). The hosted-UI domain's suffix is not in that data, so it
is kept here, with its sources:

- aws: `<prefix>.auth.<region>.amazoncognito.com`, and `auth-fips` where AWS offers FIPS
  (developer guide, "Configuring a user pool domain" and "FIPS endpoints"; also aws-cdk's
  `UserPoolDomain.baseUrl({ fips: true })`).
- aws-us-gov: FIPS only, `<prefix>.auth-fips.<region>.amazoncognito.com` (AWS GovCloud (US)
  user guide, "Amazon Cognito in AWS GovCloud (US)").
- aws-cn: `<prefix>.auth.<region>.amazoncognito.com.cn` (Amazon Web Services in China
  developer guide, the same page).

The token issuer `https://cognito-idp.<region>.<dns suffix>/<pool id>` is never a FIPS host:
tokens name the regular endpoint even where the API is called through FIPS.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass

HOSTED_UI_SUFFIX = {
    "aws": "amazoncognito.com",
    "aws-us-gov": "amazoncognito.com",
    "aws-cn": "amazoncognito.com.cn",
}
FIPS_ONLY = frozenset({"aws-us-gov"})
FIPS_OFFERED = frozenset({"aws", "aws-us-gov"})


@dataclass(frozen=True)
class Partition:
    name: str
    dns_suffix: str
    hosted_ui_suffix: str | None  # None: Cognito's hosted UI suffix is not known for it


@functools.lru_cache(maxsize=1)
def _partitions() -> list[dict]:
    import botocore.loaders

    return botocore.loaders.Loader().load_data("endpoints")["partitions"]


@functools.lru_cache(maxsize=64)
def partition_of(region: str) -> Partition:
    """The partition whose region list or pattern holds REGION (commercial if none does)."""
    data = _partitions()
    chosen = next(
        (p for p in data if region in p.get("regions", {})),
        None,
    ) or next((p for p in data if re.match(p["regionRegex"], region)), data[0])
    name = chosen["partition"]
    return Partition(name, chosen["dnsSuffix"], HOSTED_UI_SUFFIX.get(name))


# What botocore reads to answer use_fips_endpoint: the variable itself, or the shared config
# file's profile. A new botocore session costs milliseconds (tens under load) and every hosted
# URL a page or an API list shows asks, so the answer is kept per value of these.
FIPS_SOURCES = ("AWS_USE_FIPS_ENDPOINT", "AWS_CONFIG_FILE", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def use_fips() -> bool:
    """boto3's standard FIPS switch (AWS_USE_FIPS_ENDPOINT or use_fips_endpoint in config)."""
    return _use_fips(tuple(os.environ.get(name) for name in FIPS_SOURCES))


@functools.lru_cache(maxsize=8)
def _use_fips(_sources: tuple[str | None, ...]) -> bool:
    import botocore.session

    value = botocore.session.get_session().get_config_variable("use_fips_endpoint")
    return str(value).lower() == "true"


def hosted_ui_host(prefix: str, region: str, fips: bool | None = None) -> str:
    """The Cognito prefix domain's host name in REGION's partition."""
    partition = partition_of(region)
    if partition.hosted_ui_suffix is None:
        raise ValueError(
            f"the Cognito hosted-UI domain of partition {partition.name} is not known; "
            "use a custom domain"
        )
    fips = use_fips() if fips is None else fips
    auth = (
        "auth-fips"
        if partition.name in FIPS_ONLY or (fips and partition.name in FIPS_OFFERED)
        else "auth"
    )
    return f"{prefix}.{auth}.{region}.{partition.hosted_ui_suffix}"


def issuer_url(region: str, user_pool_id: str) -> str:
    """The user pool's token issuer (never a FIPS host)."""
    return f"https://cognito-idp.{region}.{partition_of(region).dns_suffix}/{user_pool_id}"
