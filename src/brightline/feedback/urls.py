"""The growth space under ``/growth/``."""

from django.urls import path

from brightline.feedback import views

app_name = "feedback"
urlpatterns = [
    path("", views.my_growth, name="my-growth"),
    path("<int:person_id>/", views.growth, name="growth"),
    path("check/", views.check_narrative, name="check"),
    path("<int:person_id>/checkpoints/new/", views.new_checkpoint, name="new-checkpoint"),
    path("<int:person_id>/notes/", views.one_on_one_notes, name="notes"),
    path("<int:person_id>/requests/new/", views.new_feedback_request, name="new-request"),
    path("<int:person_id>/commentary/", views.manager_commentary, name="commentary"),
    path("requests/<int:pk>/", views.feedback_request_detail, name="request"),
    path("requests/<int:pk>/close/", views.close_feedback_request, name="close-request"),
    path("inbox/", views.inbox, name="inbox"),
    path("give/", views.give_feedback_start, name="give-start"),
    path("give/<int:person_id>/", views.give_feedback, name="give"),
    path("people/", views.people_search, name="people"),
    path("invitations/<int:pk>/", views.answer_invitation, name="answer"),
    path("accomplishments/new/", views.new_accomplishment, name="new-accomplishment"),
    path("evidence/new/", views.record_evidence, name="record-evidence"),
    path("accomplishments/<int:pk>/edit/", views.edit_accomplishment, name="edit-accomplishment"),
    path("accomplishments/<int:pk>/delete/", views.delete_accomplishment, name="delete-accomplishment"),
    path("annotations/", views.add_annotation, name="annotate"),
    path("drafts/", views.drafts, name="drafts"),
    path("drafts/<int:pk>/", views.draft_detail, name="draft"),
    path("drafts/<int:pk>/review/", views.draft_review, name="draft-review"),
    path("training/", views.manager_training, name="training"),
]
