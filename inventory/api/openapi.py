"""OpenAPI pieces shared by the locations and catalog views: problem+json error responses and
the Idempotency-Key header (list and page parameters are in inventory.api.bigcommerce.query)."""

from drf_spectacular.utils import OpenApiParameter

from inventory.api.errors import PROBLEM_CONTENT_TYPE
from inventory.api.idempotent import HEADER
from inventory.api.paths import STORE_PATHS
from inventory.api.schemas import ProblemResponse

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Optional (ours). A retry with the same key and body gets the first answer "
    "again and changes nothing; the same key with another body is refused (422), and while "
    "the first request still runs, a retry gets 409.",
)


def problems(*codes: int) -> dict[tuple[int, str], type[ProblemResponse]]:
    """`responses=` entries: each status answered with application/problem+json."""
    return {(code, PROBLEM_CONTENT_TYPE): ProblemResponse for code in codes}


# What any authenticated endpoint may answer besides its own statuses.
COMMON_ERRORS = problems(400, 401, 403, 409, 413, 415, 422, 429)


def without_store_prefix(endpoints: list, **kwargs) -> list:
    """drf-spectacular's preprocessing hook: each operation documented once. Leaves out the
    routes under /stores/{store_hash}/v3, the same views as /api/v3 (the document's description
    explains the prefix), and the trailing-slash twins of Zettle's routes."""
    return [
        endpoint
        for endpoint in endpoints
        if not endpoint[0].startswith(STORE_PATHS) and not endpoint[0].endswith("/")
    ]
