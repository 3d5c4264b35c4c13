"""Thin views over conversations and messages: parse, call one selector or service, serialize."""

from typing import Any, cast
from uuid import UUID

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from accounts.models import User
from core.db_router import ReplicaReadsMixin
from core.schema import ERROR_REF, SEND_ERRORS, refused
from messaging import selectors, services
from messaging.api.serializers import (
    ChannelSearchParamsSerializer,
    ChannelSerializer,
    ConversationCreateInputSerializer,
    ConversationMemberSerializer,
    ConversationSerializer,
    ConversationUpdateInputSerializer,
    FollowedThreadSerializer,
    ForwardInputSerializer,
    HistoryPageSerializer,
    HistoryParamsSerializer,
    MemberAddInputSerializer,
    MemberRoleInputSerializer,
    MemberSearchParamsSerializer,
    MentionsPageSerializer,
    MentionsParamsSerializer,
    MessageEditInputSerializer,
    MessageSendInputSerializer,
    MessageSerializer,
    PinSerializer,
    ReactionInputSerializer,
    ReadInputSerializer,
    SearchPageSerializer,
    SearchParamsSerializer,
    ThreadPageSerializer,
    ThreadParamsSerializer,
    ThreadReadInputSerializer,
)
from messaging.models import Conversation, Message
from realtime.presence import statuses

NO_CONTENT = {204: OpenApiResponse(description="Done")}


def _seen(request: Request, message_id: UUID) -> None:
    """Before a body is read: a message one may not see is a 404 whatever the body (a 400 naming a field
    would tell that it is there). Only the gate: the service loads the message as it needs it."""
    selectors.message_check_seen(user=request_user(request), message_id=message_id)


def _valid(serializer_class: type, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return cast(dict[str, Any], serializer.validated_data)


def _reader_context(user: User, messages: list[Message]) -> dict[str, Any]:
    """What the message serializer needs to show `user` the links back of the forwards among `messages`."""
    return {"visible_origins": selectors.forward_origins_visible(user=user, messages=messages)}


def _message_response(user: User, message_id: UUID) -> Response:
    message = selectors.message_get_for_user(user=user, message_id=message_id)
    return Response(MessageSerializer(message, context=_reader_context(user, [message])).data)


def _message_in_conversation(message: Message, context: dict[str, Any]) -> dict[str, Any]:
    """A hit of a cross-conversation list (search, mentions): the message and where it was said."""
    conversation = message.conversation
    return {
        "message": MessageSerializer(message, context=context).data,
        "conversation": {"id": conversation.pk, "kind": conversation.kind, "title": conversation.title},
    }


def _conversations_context(user: User, conversations: list[Conversation]) -> dict[str, Any]:
    """What the conversation serializer needs beyond the rows: last messages and members' status now."""
    member_ids = {m.user_id for c in conversations for m in c.memberships.all()}
    last_messages = selectors.last_messages(conversations)
    return {
        "last_messages": last_messages,
        "statuses": statuses(member_ids),
        **_reader_context(user, list(last_messages.values())),
    }


def _conversation_response(user: User, conversation_id: int, status_code: int = 200) -> Response:
    conversation = selectors.conversation_with_state_for_user(user=user, conversation_id=conversation_id)
    context = _conversations_context(user, [conversation])
    return Response(ConversationSerializer(conversation, context=context).data, status=status_code)


class ConversationListApi(ReplicaReadsMixin, ListAPIView):
    serializer_class = ConversationSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.conversation_list_for_user(user=request_user(self.request))

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        page = args[0] if args else []
        context = _conversations_context(request_user(self.request), list(page))
        kwargs["context"] = {**self.get_serializer_context(), **context}
        return ConversationSerializer(*args, **kwargs)

    @extend_schema(
        request=ConversationCreateInputSerializer,
        responses={201: ConversationSerializer, 200: ConversationSerializer},
    )
    def post(self, request: Request) -> Response:
        data = _valid(ConversationCreateInputSerializer, request.data)
        conversation, created = services.conversation_create(
            creator=request_user(request),
            kind=data["kind"],
            member_ids=data["members"],
            title=data["title"],
            is_public=data["is_public"],
        )
        return _conversation_response(request_user(request), conversation.pk, 201 if created else 200)


class ConversationDetailApi(APIView):
    @extend_schema(responses={200: ConversationSerializer})
    def get(self, request: Request, conversation_id: int) -> Response:
        return _conversation_response(request_user(request), conversation_id)

    @extend_schema(request=ConversationUpdateInputSerializer, responses={200: ConversationSerializer})
    def patch(self, request: Request, conversation_id: int) -> Response:
        membership = selectors.membership_get(user=request_user(request), conversation_id=conversation_id)
        services.conversation_update(
            membership=membership, **_valid(ConversationUpdateInputSerializer, request.data)
        )
        return _conversation_response(request_user(request), conversation_id)


OWNER_HANDOVER = (
    "When the last owner of a group or channel goes, its longest-standing admin, else its longest-standing "
    "member, becomes owner; a channel its last member left is owned by whoever joins it next."
)


class ConversationMembersApi(APIView):
    @extend_schema(
        parameters=[MemberSearchParamsSerializer],
        responses=ConversationMemberSerializer(many=True),
        description="Members whose username or display name contains `search`, by username, at most "
        f"{selectors.MEMBER_SEARCH_LIMIT}, each with their `role`: what the message box offers after an @, "
        "and how owners and admins find a channel's members. Any conversation I am in, channels too (whose "
        "conversation lists no members).",
    )
    def get(self, request: Request, conversation_id: int) -> Response:
        query = _valid(MemberSearchParamsSerializer, request.query_params)["search"]
        members = selectors.member_search(
            user=request_user(request), conversation_id=conversation_id, query=query
        )
        return Response(ConversationMemberSerializer(members, many=True).data)

    @extend_schema(
        request=MemberAddInputSerializer,
        responses={201: ConversationSerializer, 200: ConversationSerializer},
        description="Owners and admins add someone to a group or channel: 201 and the conversation; someone "
        "already in it: 200, nothing changes.",
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        actor = selectors.membership_get(user=request_user(request), conversation_id=conversation_id)
        _, added = services.member_add(
            actor=actor, user_id=_valid(MemberAddInputSerializer, request.data)["user"]
        )
        return _conversation_response(request_user(request), conversation_id, 201 if added else 200)


class ConversationMemberApi(APIView):
    @extend_schema(
        request=MemberRoleInputSerializer,
        responses={200: ConversationMemberSerializer},
        description="Owners change a member's role: make them an owner, an admin, or a plain member again "
        "(403 for anyone else; 400 in a direct conversation and for the only owner stepping down: they "
        'appoint another owner first; 404 "No such member." for someone who is not a member, as removing '
        "them answers). Members hear of it as a `member.updated` event (docs/protocol.md).",
    )
    def patch(self, request: Request, conversation_id: int, user_id: int) -> Response:
        user = request_user(request)
        actor = selectors.membership_get(user=user, conversation_id=conversation_id)
        role = _valid(MemberRoleInputSerializer, request.data)["role"]
        services.member_role_set(actor=actor, user_id=user_id, role=role)
        member = selectors.member_get(user=user, conversation_id=conversation_id, member_id=user_id)
        return Response(ConversationMemberSerializer(member).data)

    @extend_schema(
        responses={
            **NO_CONTENT,
            **refused("`invalid`: a direct conversation (always two)"),
            404: OpenApiResponse(
                ERROR_REF,
                description='`not_found`: "No such conversation." (not one you are in), or "No such member." '
                "(the person is not a member of it, or does not exist)",
            ),
        },
        description="Owners and admins remove members; only an owner removes an owner. " + OWNER_HANDOVER,
    )
    def delete(self, request: Request, conversation_id: int, user_id: int) -> Response:
        actor = selectors.membership_get(user=request_user(request), conversation_id=conversation_id)
        services.member_remove(actor=actor, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationJoinApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: ConversationSerializer,
            **refused("`bot_owner_not_member`: a bot joins only a channel its owner is in"),
        },
        description=OWNER_HANDOVER,
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        channel = selectors.public_channel_get(conversation_id=conversation_id)
        services.channel_join(user=request_user(request), conversation=channel)
        return _conversation_response(request_user(request), conversation_id)


class ConversationLeaveApi(APIView):
    @extend_schema(
        request=None,
        responses={**NO_CONTENT, **refused("`invalid`: a direct conversation is not left")},
        description=OWNER_HANDOVER,
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        membership = selectors.membership_get(user=request_user(request), conversation_id=conversation_id)
        services.conversation_leave(membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationReadApi(APIView):
    @extend_schema(request=ReadInputSerializer, responses=NO_CONTENT)
    def post(self, request: Request, conversation_id: int) -> Response:
        membership = selectors.membership_get(user=request_user(request), conversation_id=conversation_id)
        services.read_mark(membership=membership, seq=_valid(ReadInputSerializer, request.data)["seq"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChannelListApi(ReplicaReadsMixin, ListAPIView):
    serializer_class = ChannelSerializer

    @extend_schema(parameters=[ChannelSearchParamsSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        search = _valid(ChannelSearchParamsSerializer, self.request.query_params)["search"]
        return selectors.channel_list_public(user=request_user(self.request), search=search)


class MessageListApi(ReplicaReadsMixin, APIView):
    @extend_schema(parameters=[HistoryParamsSerializer], responses={200: HistoryPageSerializer})
    def get(self, request: Request, conversation_id: int) -> Response:
        params = _valid(HistoryParamsSerializer, request.query_params)
        if "around" in params:
            window, has_older, has_newer = selectors.message_window(
                user=request_user(request),
                conversation_id=conversation_id,
                around_seq=params["around"],
                limit=params["limit"],
            )
            context = _reader_context(request_user(request), window)
            results = MessageSerializer(window, many=True, context=context).data
            return Response({"results": results, "has_more": has_older, "has_more_newer": has_newer})
        page, has_more = selectors.message_history(
            user=request_user(request),
            conversation_id=conversation_id,
            before_seq=params.get("before_seq"),
            after_seq=params.get("after_seq"),
            limit=params["limit"],
        )
        context = _reader_context(request_user(request), page)
        return Response(
            {"results": MessageSerializer(page, many=True, context=context).data, "has_more": has_more}
        )

    @extend_schema(request=MessageSendInputSerializer, responses={202: MessageSerializer, **SEND_ERRORS})
    def post(self, request: Request, conversation_id: int) -> Response:
        """Send through the socket's durable path; the same client_id again returns the same message."""
        selectors.membership_get(user=request_user(request), conversation_id=conversation_id)
        data = _valid(MessageSendInputSerializer, request.data)
        message = services.message_post(
            sender=request_user(request),
            conversation_id=conversation_id,
            body=data["body"],
            client_id=data["client_id"],
            reply_to=data["reply_to"],
            thread_root=data["thread_root"],
            attachment_ids=data["attachments"],
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_202_ACCEPTED)


class MessageDetailApi(APIView):
    @extend_schema(request=MessageEditInputSerializer, responses={200: MessageSerializer})
    def patch(self, request: Request, message_id: UUID) -> Response:
        _seen(request, message_id)
        body = _valid(MessageEditInputSerializer, request.data)["body"]
        services.message_edit(user=request_user(request), message_id=message_id, body=body)
        return _message_response(request_user(request), message_id)

    @extend_schema(responses=NO_CONTENT)
    def delete(self, request: Request, message_id: UUID) -> Response:
        services.message_delete(user=request_user(request), message_id=message_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageReactionsApi(APIView):
    @extend_schema(request=ReactionInputSerializer, responses={200: MessageSerializer})
    def post(self, request: Request, message_id: UUID) -> Response:
        _seen(request, message_id)
        emoji = _valid(ReactionInputSerializer, request.data)["emoji"]
        services.reaction_add(user=request_user(request), message_id=message_id, emoji=emoji)
        return _message_response(request_user(request), message_id)

    @extend_schema(
        parameters=[ReactionInputSerializer],
        responses={
            **NO_CONTENT,
            # without ?emoji= the body is read, as any JSON body is (the schema has none for a DELETE)
            413: OpenApiResponse(ERROR_REF, description="`too_large`: a body past 2.5 MiB"),
            415: OpenApiResponse(ERROR_REF, description="`unsupported_media_type`: a body that is not JSON"),
        },
        description='Take your reaction back: `?emoji=` (URL-encoded). A JSON body `{"emoji": …}` is '
        "read too, for clients that send one with DELETE.",
    )
    def delete(self, request: Request, message_id: UUID) -> Response:
        _seen(request, message_id)
        given = request.query_params if "emoji" in request.query_params else request.data
        emoji = _valid(ReactionInputSerializer, given)["emoji"]
        services.reaction_remove(user=request_user(request), message_id=message_id, emoji=emoji)
        return Response(status=status.HTTP_204_NO_CONTENT)


PIN_RULES = (
    "Who may pin and unpin is the conversation's `pin_policy`: every member, or only owners and admins (403 "
    "otherwise). Members hear of it as a `pin` event (docs/protocol.md)."
)


class ConversationPinsApi(APIView):
    @extend_schema(responses={200: PinSerializer(many=True)}, description="Newest pin first.")
    def get(self, request: Request, conversation_id: int) -> Response:
        user = request_user(request)
        pins = selectors.pins_for_user(user=user, conversation_id=conversation_id)
        context = _reader_context(user, [pin.message for pin in pins])
        return Response(PinSerializer(pins, many=True, context=context).data)


class MessagePinApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: PinSerializer,
            **refused("`invalid`: the message was deleted, or its conversation has 50 pins (unpin one)"),
        },
        description="Pin the message; pinning it again changes nothing. " + PIN_RULES,
    )
    def put(self, request: Request, message_id: UUID) -> Response:
        user = request_user(request)
        pin = services.message_pin(user=user, message_id=message_id)
        return Response(PinSerializer(pin, context=_reader_context(user, [pin.message])).data)

    @extend_schema(responses=NO_CONTENT, description="Unpin the message. " + PIN_RULES)
    def delete(self, request: Request, message_id: UUID) -> Response:
        services.message_unpin(user=request_user(request), message_id=message_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageForwardApi(APIView):
    @extend_schema(
        request=ForwardInputSerializer,
        responses={202: MessageSerializer, **SEND_ERRORS},
        description="Send a copy of the message into another conversation of yours, through the same "
        "durable path as a send; its `forwarded_from` names the original, and it carries the original's "
        "`attachments` (the same files, which its readers may download). You must see the message and be a "
        "member of the conversation (404 otherwise).",
    )
    def post(self, request: Request, message_id: UUID) -> Response:
        _seen(request, message_id)
        data = _valid(ForwardInputSerializer, request.data)
        user = request_user(request)
        message = services.message_forward(
            user=user,
            message_id=message_id,
            conversation_id=data["conversation"],
            client_id=data["client_id"],
        )
        stored = [message] if isinstance(message, Message) else []
        serializer = MessageSerializer(message, context=_reader_context(user, stored))
        return Response(serializer.data, status=status.HTTP_202_ACCEPTED)


class MessageSearchApi(ReplicaReadsMixin, APIView):
    @extend_schema(parameters=[SearchParamsSerializer], responses={200: SearchPageSerializer})
    def get(self, request: Request) -> Response:
        params = _valid(SearchParamsSerializer, request.query_params)
        user = request_user(request)
        page = selectors.message_search(
            user=user,
            text=params["q"],
            include_public=params["public"],
            cursor=params.get("cursor"),
            limit=params["limit"],
        )
        context = _reader_context(user, [message for message, _ in page.hits])
        results = [
            {**_message_in_conversation(message, context), "snippet": snippet}
            for message, snippet in page.hits
        ]
        return Response({"results": results, "next_cursor": page.next_cursor})


class MentionListApi(ReplicaReadsMixin, APIView):
    @extend_schema(
        parameters=[MentionsParamsSerializer],
        responses={200: MentionsPageSerializer},
        description="Messages that mention you (by @username, @all, or @here while you were present), newest "
        "first, in conversations you are still a member of; never a deleted message. Each names its "
        "conversation and seq: open it with messages/?around=<seq>, or a reply in a thread (`thread_root`) "
        "with messages/{thread_root}/thread/?around=<seq>.",
    )
    def get(self, request: Request) -> Response:
        params = _valid(MentionsParamsSerializer, request.query_params)
        user = request_user(request)
        page, next_cursor = selectors.mentions_list_for_user(
            user=user, before=params.get("cursor"), limit=params["limit"]
        )
        context = _reader_context(user, page)
        results = [_message_in_conversation(message, context) for message in page]
        return Response({"results": results, "next_cursor": next_cursor})


class ThreadApi(APIView):
    @extend_schema(
        parameters=[ThreadParamsSerializer],
        responses={200: ThreadPageSerializer},
        description="A thread: its root and a page of its replies by seq (newest first, oldest first after "
        "`after_seq`, or around the reply `around`), with your follow state and read marker. 404 for a "
        "message you cannot see or that is itself a reply, and for an `around` that is not a reply of it.",
    )
    def get(self, request: Request, message_id: UUID) -> Response:
        user = request_user(request)
        params = _valid(ThreadParamsSerializer, request.query_params)
        newer: dict[str, bool] = {}
        if "around" in params:
            root, page, has_more, newer["has_more_newer"] = selectors.thread_window(
                user=user, root_id=message_id, around_seq=params["around"], limit=params["limit"]
            )
        else:
            root, page, has_more = selectors.thread_history(
                user=user,
                root_id=message_id,
                before_seq=params.get("before_seq"),
                after_seq=params.get("after_seq"),
                limit=params["limit"],
            )
        follow = selectors.thread_follow_get(user=user, root=root)
        context = _reader_context(user, [root, *page])
        return Response(
            {
                "root": MessageSerializer(root, context=context).data,
                "results": MessageSerializer(page, many=True, context=context).data,
                "has_more": has_more,
                **newer,
                "following": follow.following if follow else None,
                "last_read_seq": follow.last_read_seq if follow else 0,
            }
        )


class ThreadFollowApi(APIView):
    @extend_schema(request=None, responses=NO_CONTENT, description="Follow the thread: replies notify you.")
    def put(self, request: Request, message_id: UUID) -> Response:
        services.thread_follow_set(user=request_user(request), root_id=message_id, following=True)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses=NO_CONTENT, description="Unfollow the thread; replying in it again does not follow it."
    )
    def delete(self, request: Request, message_id: UUID) -> Response:
        services.thread_follow_set(user=request_user(request), root_id=message_id, following=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ThreadReadApi(APIView):
    @extend_schema(request=ThreadReadInputSerializer, responses=NO_CONTENT)
    def post(self, request: Request, message_id: UUID) -> Response:
        selectors.thread_root_get_for_user(user=request_user(request), root_id=message_id)  # first, as _seen
        seq = _valid(ThreadReadInputSerializer, request.data)["seq"]
        services.thread_read_mark(user=request_user(request), root_id=message_id, seq=seq)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FollowedThreadListApi(ListAPIView):
    """The threads you follow, the most recently replied first, each with its unread count."""

    serializer_class = FollowedThreadSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.threads_followed(user=request_user(self.request))

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        follows = list(args[0]) if args else []
        reader = _reader_context(request_user(self.request), [follow.root for follow in follows])
        kwargs["context"] = {**self.get_serializer_context(), **reader}
        return FollowedThreadSerializer(*args, **kwargs)
