"""The SCIM 2.0 routes under ``/scim/v2/``: Users (``scim``), Groups (``scim_groups``), Bulk (``scim_bulk``) and the
search at the root (``scim_search``)."""

from django.urls import path

from brightline.people import scim, scim_bulk, scim_groups, scim_search

urlpatterns = [
    *scim.urlpatterns,
    path("Groups", scim_groups.groups, name="scim-groups"),
    path("Groups/.search", scim_groups.search_groups, name="scim-groups-search"),
    path("Groups/<int:group_id>", scim_groups.group, name="scim-group"),
    path("Bulk", scim_bulk.bulk, name="scim-bulk"),
    path(".search", scim_search.search, name="scim-search"),
]
