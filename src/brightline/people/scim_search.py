"""``POST /scim/v2/.search`` (RFC 7644 section 3.4.3): one search over Users and Groups together.

The body is a SearchRequest, as for ``/Users/.search``: ``filter``, ``startIndex``, ``count``, ``attributes`` and
``excludedAttributes``. A filter's attribute has to belong to a User or a Group; a resource whose type lacks it
has no value for it, so ``members pr`` finds groups only and ``meta.resourceType eq "User"`` people only. The
results are the Users (by id) followed by the Groups (by id), and ``startIndex``/``count`` page across both:
``totalResults`` counts both. ``sortBy`` is refused with 400 ``invalidValue``, since no one order covers two
resource types; ``/Users/.search`` and ``/Groups/.search`` sort. Each person shown is an audited read, as on
``/Users``. Two counts and at most two page reads, whatever the size of either list.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from brightline.people.models import Person, ScimGroup
from brightline.people.scim import (
    USER_FILTER,
    USER_SHAPE,
    ScimError,
    list_params,
    list_response,
    only_post,
    scim_view,
    shown_users,
)
from brightline.people.scim_filter import FilterError, filter_across
from brightline.people.scim_groups import GROUP_FILTER, GROUP_SHAPE, MEMBER_IDS
from brightline.people.scim_groups import to_scim as group_to_scim

ERR_SORT = ("A search at the root cannot be sorted: Users and Groups have no one order. Search /Users/.search or "
            "/Groups/.search to sort.")


@scim_view
def search(request: HttpRequest, viewer: Person) -> HttpResponse:
    only_post(request)
    params = list_params(request, (USER_SHAPE, GROUP_SHAPE))
    if params.sort_by:
        raise ScimError(400, ERR_SORT, "invalidValue")
    user_q, group_q = Q(), Q()
    if params.filter:
        try:
            user_q, group_q = filter_across(params.filter, (USER_FILTER, GROUP_FILTER))
        except FilterError as error:
            raise ScimError(400, str(error), "invalidFilter") from None
    people = Person.objects.filter(user_q).order_by("pk")
    groups = ScimGroup.objects.filter(group_q).order_by("pk")
    people_total, groups_total = people.count(), groups.count()
    first, end = params.start - 1, params.start - 1 + params.count  # zero-based, across both lists
    shown_people = list(people.select_related("user")[first:min(end, people_total)]) if first < people_total else []
    group_first, group_end = max(0, first - people_total), min(end - people_total, groups_total)
    shown_groups = (list(groups.prefetch_related(MEMBER_IDS)[group_first:group_end])
                    if group_end > group_first else [])
    resources = shown_users(request, viewer, shown_people, params.projection)
    resources += [params.projection.apply(group_to_scim(request, group)) for group in shown_groups]
    return list_response(resources, people_total + groups_total, params.start)
