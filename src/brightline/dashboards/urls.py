from django.urls import path

from brightline.dashboards import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("people/<int:person_id>/", views.person_detail, name="person"),
    path("people/<int:person_id>/access-log/", views.person_access_log, name="person-access-log"),
    path("me/access-log/", views.my_access_log, name="my-access-log"),
    path("me/data/", views.my_data, name="my-data"),
    path("team/", views.my_team, name="my-team"),
    path("team/coaching-prompts/", views.decide_coaching_prompt, name="coaching-prompt"),
    path("teams/<slug:slug>/", views.team_detail, name="team"),
    path("organisation/", views.organisation, name="organisation"),
    path("ladder/", views.ladder, name="ladder"),
    path("ladder/how-outcomes-are-decided/", views.how_outcomes_are_decided, name="how-decided"),
    path("data-use/", views.data_use, name="data-use"),
    path("changes/", views.changes, name="changes"),
    path("policy/edit/", views.policy_edit, name="policy-edit"),
    path("audit/", views.audit_trail, name="audit-trail"),
    path("audit/refused-reads/", views.refused_reads, name="refused-reads"),
]
