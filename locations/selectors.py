from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from locations.models import Location

User = AbstractBaseUser | AnonymousUser


def sees_all_locations(user: User) -> bool:
    """Managers (and superusers) work across the store; everyone else only where assigned."""
    return user.is_active and user.has_perm("locations.access_all_locations")


def locations_visible_to(user: User) -> QuerySet[Location]:
    """The locations whose stock and history `user` may see."""
    if sees_all_locations(user):
        return Location.objects.all()
    if not user.is_authenticated:
        return Location.objects.none()
    return Location.objects.filter(staff=user)
