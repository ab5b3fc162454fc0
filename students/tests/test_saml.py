"""SAML 2.0 providers, configured from SAML_PROVIDERS: the login page offers them, and the
service provider's metadata (which the institution's federation registers) is served."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

IDP_CERTIFICATE = "MIIBszCCAVmgAwIBAgIUX7i2zYl0wS3Wk5N2j1J9pPZy0q8wCgYIKoZIzj0EAwIw"


# python3-saml takes only URLs with a real-looking host name.
HOST = "exams.uni.example"


@pytest.fixture
def saml(settings):
    settings.ALLOWED_HOSTS = [HOST, "testserver"]
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "saml": {
            "APPS": [
                {
                    "provider_id": "fed",
                    "client_id": "fed",
                    "name": "Campus federation",
                    "settings": {
                        "idp": {
                            "entity_id": "https://idp.uni.example/saml",
                            "sso_url": "https://idp.uni.example/saml/sso",
                            "x509cert": IDP_CERTIFICATE,
                        },
                    },
                }
            ]
        },
    }


def test_the_login_page_offers_the_saml_provider(client, saml):
    page = client.get(reverse("login")).content.decode()

    assert "Sign in with Campus federation" in page
    assert 'action="/accounts/saml/fed/login/' in page


def test_the_service_providers_metadata_names_its_callback(client, saml):
    response = client.get("/accounts/saml/fed/metadata/", HTTP_HOST=HOST)

    assert response.status_code == 200
    metadata = response.content.decode()
    assert "EntityDescriptor" in metadata
    assert f"http://{HOST}/accounts/saml/fed/acs/" in metadata


def test_the_sign_in_starts_at_the_institutions_page(client, saml):
    response = client.post("/accounts/saml/fed/login/", HTTP_HOST=HOST)

    assert response.status_code == 302
    assert response["Location"].startswith("https://idp.uni.example/saml/sso?SAMLRequest=")
