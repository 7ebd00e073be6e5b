from django.urls import path

from brightline.reviews import views

app_name = "reviews"
urlpatterns = [
    path("", views.index, name="index"),
    path("cycles/new/", views.cycle_new, name="cycle-new"),
    path("cycles/<int:cycle_id>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:cycle_id>/advance/", views.cycle_advance, name="cycle-advance"),
    path("cycles/<int:cycle_id>/panel/", views.cycle_panel, name="cycle-panel"),
    path("cycles/<int:cycle_id>/memos/", views.cycle_memos, name="cycle-memos"),
    path("r/<int:review_id>/", views.review_detail, name="review"),
    path("r/<int:review_id>/annotate/", views.review_annotate, name="review-annotate"),
    path("r/<int:review_id>/self-review/", views.review_self_review, name="review-self-review"),
    path("r/<int:review_id>/assess/", views.review_assess, name="review-assess"),
    path("r/<int:review_id>/narrative/", views.review_narrative, name="review-narrative"),
    path("r/<int:review_id>/submit/", views.review_submit, name="review-submit"),
    path("r/<int:review_id>/approve-adverse/", views.review_approve_adverse, name="review-approve-adverse"),
    path("r/<int:review_id>/pre-vote/", views.review_pre_vote, name="review-pre-vote"),
    path("r/<int:review_id>/change/", views.review_change, name="review-change"),
    path("r/<int:review_id>/changes/<int:change_id>/approve/", views.review_approve_change,
         name="review-approve-change"),
    path("r/<int:review_id>/conflict/", views.review_declare_conflict, name="review-conflict"),
    path("r/<int:review_id>/acknowledge/", views.review_acknowledge, name="review-acknowledge"),
    path("r/<int:review_id>/appeal/", views.review_appeal, name="review-appeal"),
    path("r/<int:review_id>/check-packet/", views.review_check_packet, name="review-check-packet"),
    path("r/<int:review_id>/packet/", views.packet_view, name="packet"),
    path("r/<int:review_id>/packet/annotate/", views.packet_annotate, name="packet-annotate"),
    path("r/<int:review_id>/packet.pdf", views.packet_pdf, name="packet-pdf"),
    path("appeals/<int:appeal_id>/", views.appeal_detail, name="appeal"),
    path("appeals/<int:appeal_id>/<slug:action>/", views.appeal_action, name="appeal-action"),
    path("narrative-check/", views.narrative_check, name="narrative-check"),
]
