from ninja import NinjaAPI

from api import problems


class ProblemAPI(NinjaAPI):
    """A NinjaAPI whose every error is problem details, and whose schema says so."""

    def __init__(self, **kwargs):
        super().__init__(docs_url=None, **kwargs)
        problems.install(self)

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return problems.problem_content_types(schema)


def codes(*statuses):
    return frozenset(statuses)
