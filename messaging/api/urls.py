from django.urls import path

import core.ids  # noqa: F401  (registers the `<id:…>` and `<uuid_id:…>` path converters)
from messaging.api import views, webhooks

urlpatterns = [
    path("conversations/", views.ConversationListApi.as_view(), name="conversations"),
    path("conversations/<id:conversation_id>/", views.ConversationDetailApi.as_view(), name="conversation"),
    path(
        "conversations/<id:conversation_id>/members/",
        views.ConversationMembersApi.as_view(),
        name="conversation-members",
    ),
    path(
        "conversations/<id:conversation_id>/members/<id:user_id>/",
        views.ConversationMemberApi.as_view(),
        name="conversation-member",
    ),
    path(
        "conversations/<id:conversation_id>/join/",
        views.ConversationJoinApi.as_view(),
        name="conversation-join",
    ),
    path(
        "conversations/<id:conversation_id>/leave/",
        views.ConversationLeaveApi.as_view(),
        name="conversation-leave",
    ),
    path(
        "conversations/<id:conversation_id>/read/",
        views.ConversationReadApi.as_view(),
        name="conversation-read",
    ),
    path("conversations/<id:conversation_id>/messages/", views.MessageListApi.as_view(), name="messages"),
    path(
        "conversations/<id:conversation_id>/pins/",
        views.ConversationPinsApi.as_view(),
        name="conversation-pins",
    ),
    path("channels/", views.ChannelListApi.as_view(), name="channels"),
    path("messages/<uuid_id:message_id>/", views.MessageDetailApi.as_view(), name="message"),
    path(
        "messages/<uuid_id:message_id>/reactions/",
        views.MessageReactionsApi.as_view(),
        name="message-reactions",
    ),
    path("messages/<uuid_id:message_id>/pin/", views.MessagePinApi.as_view(), name="message-pin"),
    path("messages/<uuid_id:message_id>/forward/", views.MessageForwardApi.as_view(), name="message-forward"),
    path("search/messages/", views.MessageSearchApi.as_view(), name="message-search"),
    path("messages/<uuid_id:message_id>/thread/", views.ThreadApi.as_view(), name="thread"),
    path(
        "messages/<uuid_id:message_id>/thread/follow/", views.ThreadFollowApi.as_view(), name="thread-follow"
    ),
    path("messages/<uuid_id:message_id>/thread/read/", views.ThreadReadApi.as_view(), name="thread-read"),
    path("threads/", views.FollowedThreadListApi.as_view(), name="threads"),
    path("mentions/", views.MentionListApi.as_view(), name="mentions"),
]

# Incoming webhooks (issue #8).
urlpatterns += [
    path(
        "conversations/<id:conversation_id>/webhooks/",
        webhooks.ConversationWebhooksApi.as_view(),
        name="conversation-webhooks",
    ),
    path("webhooks/<id:webhook_id>/", webhooks.WebhookDetailApi.as_view(), name="webhook"),
    path("webhooks/<id:webhook_id>/rotate/", webhooks.WebhookRotateApi.as_view(), name="webhook-rotate"),
    path("hooks/<str:secret>/", webhooks.HookPostApi.as_view(), name="hook-post"),
]
