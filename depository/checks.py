from django.core.checks import Error, register
from django.db import DatabaseError

from depository import connections


@register("connections", deploy=True)
def connections_fit_the_database(app_configs, **kwargs):
    """Every process's pool together must fit in the server's max_connections: past it, the
    connections the rush asks for are refused and requests fail."""
    try:
        budget = connections.budget()
    except DatabaseError as error:
        return [
            Error(
                f"The database's max_connections could not be read: {error}",
                id="depository.E002",
            )
        ]
    if budget is None or budget.fits():
        return []
    return [
        Error(
            f"The database connections configured exceed what the database takes: "
            f"{budget.describes()}.",
            hint=(
                "Lower DATABASE_POOL_MAX or WEB_CONCURRENCY, run fewer machines (APP_MACHINES, "
                "WORKER_MACHINES), or raise the database's max_connections."
            ),
            id="depository.E001",
        )
    ]
