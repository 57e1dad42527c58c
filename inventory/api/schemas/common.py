"""What every response model shares: the base that keeps a bug of ours from being answered as
the client's, the wire's key order and left-out fields, and the bodies several endpoints
answer with (errors, transaction ids, pagination).

Docstrings of response models become descriptions in the OpenAPI document, which stays as it
was: notes about the wire go in comments."""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ResponseInvalid(RuntimeError):
    """Our own data did not fit a response model: a bug, answered 500. A pydantic
    ValidationError would be answered 422, as if the client had sent something wrong."""


def _in_documented_order(schema: dict[str, Any], model: type[BaseModel]) -> None:
    order = getattr(model, "documented_order", None)
    if order:
        schema["properties"] = {name: schema["properties"][name] for name in order}
        if "required" in schema:
            schema["required"] = [name for name in order if name in schema["required"]]


class ResponseBody(BaseModel):
    """A response model: a view validates it from plain values in one call and answers with it;
    the renderer writes its JSON. Fields are declared in the order they are sent; a model whose
    OpenAPI description lists them in another order names that in `documented_order`."""

    model_config = ConfigDict(json_schema_extra=_in_documented_order)
    documented_order: ClassVar[tuple[str, ...]] = ()

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise ResponseInvalid(str(error)) from error

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any):
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as error:
            raise ResponseInvalid(str(error)) from error


def absent(value: object) -> bool:
    """`exclude_if` of a field that is left out rather than sent as null."""
    return value is None


class ProblemResponse(ResponseBody):
    """application/problem+json, BigCommerce's error shape."""

    status: int
    title: str
    type: str
    errors: dict[str, Any]


class TransactionResponse(ResponseBody):
    """BigCommerce's SimpleTransactionResponse."""

    transaction_id: str


# `previous` and `next` are left out on the first and the last page.
class PaginationLinks(ResponseBody):
    documented_order = ("previous", "current", "next")

    current: str
    previous: str | None = Field(default=None, exclude_if=absent)
    next: str | None = Field(default=None, exclude_if=absent)


class Pagination(ResponseBody):
    total: int
    count: int
    per_page: int
    current_page: int
    total_pages: int
    links: PaginationLinks


class Meta(ResponseBody):
    pagination: Pagination


class CursorLinks(ResponseBody):
    next: str | None = Field(default=None, exclude_if=absent)


class CursorPagination(ResponseBody):
    count: int
    per_page: int
    end_cursor: str | None
    links: CursorLinks


class CursorMeta(ResponseBody):
    cursor_pagination: CursorPagination
