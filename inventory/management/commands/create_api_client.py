"""`manage.py create_api_client NAME --scope SCOPE [--scope …] [--location ID …]`.

Prints what it created and then the token alone on the last line, so a script can take it with
`token=$(python manage.py create_api_client shop --scope store_inventory | tail -1)`."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from inventory.api_clients import issue_token
from inventory.models import ApiClient
from locations.models import Location

Scope = ApiClient.Scope


class Command(BaseCommand):
    help = "Create an API client and print its token (shown only now; only a hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Who the token is for, e.g. the partner system's name.")
        parser.add_argument(
            "--scope",
            action="append",
            required=True,
            dest="scopes",
            metavar="SCOPE",
            help=f"Repeat for several. One of: {', '.join(Scope.values)}.",
        )
        parser.add_argument(
            "--location",
            action="append",
            type=int,
            default=[],
            dest="locations",
            metavar="ID",
            help="Restrict the client to this location id; repeat for several. Default: all.",
        )

    def handle(self, *args, name: str, scopes: list[str], locations: list[int], **options) -> None:
        name = name.strip()
        if not name:
            raise CommandError("The name must not be empty.")
        unknown = [scope for scope in scopes if scope not in Scope.values]
        if unknown:
            raise CommandError(
                f"Unknown scope(s): {', '.join(unknown)}. Valid scopes: {', '.join(Scope.values)}."
            )
        found = list(Location.objects.filter(pk__in=locations).order_by("pk"))
        missing = sorted(set(locations) - {location.pk for location in found})
        if missing:
            raise CommandError(f"No location with id {', '.join(map(str, missing))}.")

        client = ApiClient(
            name=name,
            scopes=[scope for scope in Scope.values if scope in scopes],
            restricted_to_locations=bool(found),
        )
        token = issue_token(client)
        with transaction.atomic():
            client.save()
            client.allowed_locations.set(found)

        where = ", ".join(f"{location.pk} ({location.code})" for location in found)
        self.stdout.write(f"Created API client {client.name!r} (id {client.pk}).")
        self.stdout.write(f"Scopes: {', '.join(client.scopes)}")
        self.stdout.write(f"Locations: {where or 'all'}")
        self.stdout.write(
            "Send the token below as the X-Auth-Token header. It is shown only now: "
            "only its hash is stored."
        )
        self.stdout.write(token)
