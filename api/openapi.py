import functools

from ninja import NinjaAPI

from api import problems


class ProblemAPI(NinjaAPI):
    """A NinjaAPI whose every error is problem details, and whose schema says so."""

    def __init__(self, **kwargs):
        super().__init__(docs_url=None, **kwargs)
        problems.install(self)
        self.add_decorator(names_its_operation, mode="view")

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return problems.problem_content_types(schema)


def names_its_operation(run):
    """ninja routes every method of a path through one URL pattern, named after the path's
    first operation, so Django's resolver calls POST /exams `list_exams`. Each operation
    names itself on the request (before its auth and validation, so a refusal is named
    too), and the request log writes that name (depository.logs.route_name)."""
    name = run.__self__.view_func.__name__

    @functools.wraps(run)
    def named(request, *args, **kwargs):
        request.operation_name = name
        return run(request, *args, **kwargs)

    return named


def codes(*statuses):
    return frozenset(statuses)
