from django.urls import path

from messaging.api import views, webhooks

urlpatterns = [
    path("conversations/", views.ConversationListApi.as_view(), name="conversations"),
    path("conversations/<int:conversation_id>/", views.ConversationDetailApi.as_view(), name="conversation"),
    path(
        "conversations/<int:conversation_id>/members/",
        views.ConversationMembersApi.as_view(),
        name="conversation-members",
    ),
    path(
        "conversations/<int:conversation_id>/members/<int:user_id>/",
        views.ConversationMemberApi.as_view(),
        name="conversation-member",
    ),
    path(
        "conversations/<int:conversation_id>/join/",
        views.ConversationJoinApi.as_view(),
        name="conversation-join",
    ),
    path(
        "conversations/<int:conversation_id>/leave/",
        views.ConversationLeaveApi.as_view(),
        name="conversation-leave",
    ),
    path(
        "conversations/<int:conversation_id>/read/",
        views.ConversationReadApi.as_view(),
        name="conversation-read",
    ),
    path("conversations/<int:conversation_id>/messages/", views.MessageListApi.as_view(), name="messages"),
    path("channels/", views.ChannelListApi.as_view(), name="channels"),
    path("messages/<uuid:message_id>/", views.MessageDetailApi.as_view(), name="message"),
    path(
        "messages/<uuid:message_id>/reactions/", views.MessageReactionsApi.as_view(), name="message-reactions"
    ),
    path("search/messages/", views.MessageSearchApi.as_view(), name="message-search"),
]

# Incoming webhooks (issue #8).
urlpatterns += [
    path(
        "conversations/<int:conversation_id>/webhooks/",
        webhooks.ConversationWebhooksApi.as_view(),
        name="conversation-webhooks",
    ),
    path("webhooks/<int:webhook_id>/", webhooks.WebhookDetailApi.as_view(), name="webhook"),
    path("webhooks/<int:webhook_id>/rotate/", webhooks.WebhookRotateApi.as_view(), name="webhook-rotate"),
    path("hooks/<str:secret>/", webhooks.HookPostApi.as_view(), name="hook-post"),
]
