import pytest

from api.models import ApiToken


@pytest.fixture
def make_token(examiner):
    def make(user=None, scope=ApiToken.Scope.READ_WRITE, exam=None, **kwargs):
        row, token = ApiToken.objects.issue(
            user or examiner, name=kwargs.pop("name", "script"), scope=scope, exam=exam, **kwargs
        )
        row.token = token
        return row

    return make


@pytest.fixture
def token(make_token):
    return make_token()


@pytest.fixture
def api(client, token):
    """The test client sending the examiner's read-write token."""
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token.token}"
    return client


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token.token}"}
