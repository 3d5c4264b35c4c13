from django.urls import path

from messaging.api import views

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
