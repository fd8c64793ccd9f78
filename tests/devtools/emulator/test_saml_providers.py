"""SAML identity providers and GetSigningCertificate, as strict as AWS (moto is lenient)."""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError
from cryptography import x509

from tests.support.emulator import error_code
from tests.support.idp import StubIdP
from tests.support.saml import SLO_URL, SSO_URL, idp_metadata


def create(cognito, pool_id, details, name="acme-saml"):
    return cognito.create_identity_provider(
        UserPoolId=pool_id,
        ProviderName=name,
        ProviderType="SAML",
        ProviderDetails=details,
        AttributeMapping={"email": "mail"},
    )["IdentityProvider"]


def test_a_metadata_file_is_parsed_and_describe_adds_what_cognito_derives(cognito, pool):
    details = {
        "MetadataFile": idp_metadata(slo_url=SLO_URL),
        "IDPSignout": "true",
        "EncryptedResponses": "true",
        "IDPInit": "false",
        "RequestSigningAlgorithm": "rsa-sha256",
    }
    create(cognito, pool.user_pool_id, details)
    described = cognito.describe_identity_provider(
        UserPoolId=pool.user_pool_id, ProviderName="acme-saml"
    )["IdentityProvider"]
    live = described["ProviderDetails"]
    assert {k: live[k] for k in details} == details
    assert live["SSORedirectBindingURI"] == SSO_URL
    assert live["SLORedirectBindingURI"] == SLO_URL
    certificate = x509.load_der_x509_certificate(
        base64.b64decode(live["ActiveEncryptionCertificate"])
    )
    assert certificate.not_valid_after_utc > certificate.not_valid_before_utc


def test_a_metadata_url_is_fetched_like_cognito_does(cognito, pool, idp: StubIdP):
    idp.serve("/metadata", idp_metadata().encode(), content_type="application/xml")
    create(cognito, pool.user_pool_id, {"MetadataURL": f"{idp.issuer}/metadata"})
    assert idp.seen == ["/metadata"]
    with pytest.raises(ClientError) as exc:
        create(cognito, pool.user_pool_id, {"MetadataURL": f"{idp.issuer}/gone"}, name="other")
    assert error_code(exc) == "InvalidParameterException"
    assert "Error retrieving metadata" in str(exc.value)


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({}, "At least one of the MetadataURL or MetadataFile"),
        ({"MetadataFile": idp_metadata(), "MetadataURL": "https://x.example/m"}, "Only one"),
        ({"MetadataFile": "<not-metadata/>"}, "Invalid SAML metadata"),
        ({"MetadataFile": idp_metadata("expired")}, "Signing certificates are expired"),
        ({"MetadataFile": idp_metadata(), "IDPSignout": "yes"}, "IDPSignout must be"),
        ({"MetadataFile": idp_metadata(), "RequestSigningAlgorithm": "rsa-sha1"}, "rsa-sha256"),
        ({"MetadataFile": idp_metadata(), "SSORedirectBindingURI": SSO_URL}, "cannot be set"),
        ({"MetadataFile": idp_metadata(), "client_id": "x"}, "Unsupported ProviderDetails"),
        ({"MetadataURL": "ftp://idp.example.com/metadata"}, "https"),
    ],
    ids=[
        "neither",
        "both",
        "unparseable",
        "expired",
        "flag-value",
        "algorithm",
        "describe-only-key",
        "unknown-key",
        "not-https",
    ],
)
def test_details_aws_refuses_are_refused(cognito, pool, details, message):
    with pytest.raises(ClientError) as exc:
        create(cognito, pool.user_pool_id, details)
    assert error_code(exc) == "InvalidParameterException"
    assert message in str(exc.value)
    with pytest.raises(ClientError):
        cognito.describe_identity_provider(UserPoolId=pool.user_pool_id, ProviderName="acme-saml")


def test_an_update_is_checked_too_and_replaces_the_details_whole(cognito, pool):
    create(cognito, pool.user_pool_id, {"MetadataFile": idp_metadata(), "IDPInit": "true"})
    live = cognito.describe_identity_provider(
        UserPoolId=pool.user_pool_id, ProviderName="acme-saml"
    )["IdentityProvider"]["ProviderDetails"]
    with pytest.raises(ClientError) as exc:  # sending the described details back as they came
        cognito.update_identity_provider(
            UserPoolId=pool.user_pool_id, ProviderName="acme-saml", ProviderDetails=live
        )
    assert "cannot be set" in str(exc.value)
    cognito.update_identity_provider(
        UserPoolId=pool.user_pool_id,
        ProviderName="acme-saml",
        ProviderDetails={"MetadataFile": idp_metadata("renewed")},
    )
    live = cognito.describe_identity_provider(
        UserPoolId=pool.user_pool_id, ProviderName="acme-saml"
    )["IdentityProvider"]["ProviderDetails"]
    assert "IDPInit" not in live and live["MetadataFile"] == idp_metadata("renewed")


def test_get_signing_certificate_returns_one_certificate_per_pool(cognito, pool):
    first = cognito.get_signing_certificate(UserPoolId=pool.user_pool_id)["Certificate"]
    again = cognito.get_signing_certificate(UserPoolId=pool.user_pool_id)["Certificate"]
    assert first == again
    x509.load_der_x509_certificate(base64.b64decode(first))
    with pytest.raises(ClientError) as exc:
        cognito.get_signing_certificate(UserPoolId="us-east-1_nosuchpool")
    assert error_code(exc) == "ResourceNotFoundException"


def test_plain_moto_accepts_any_saml_details_and_lacks_get_signing_certificate(plain_moto):
    with plain_moto() as moto:
        create(moto.client, moto.pool_id, {"MetadataFile": "<not-metadata/>", "IDPInit": "yes"})
        create(moto.client, moto.pool_id, {}, name="empty")
        with pytest.raises(NotImplementedError):  # moto 5.2 has no GetSigningCertificate
            moto.client.get_signing_certificate(UserPoolId=moto.pool_id)
