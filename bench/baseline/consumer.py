"""The textbook Channels chat consumer: a group per room, `group_send` per message, each recipient encoding
its own JSON. It speaks the subset of docs/protocol.md the generator uses, with the same frame shapes:

    ws://host/ws/?user=<id>&room=<id>[&room=<id>...]
    → {"type": "message.send", "conversation", "body", "client_id"}
    ← {"type": "message.ack", "client_id", "message"}        (to the sender)
    ← {"type": "message.new", "message"}                     (to every socket in the room, the sender's too)
    → {"type": "ping"}  ← {"type": "pong"}
"""

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs
from uuid import uuid4

from channels.generic.websocket import AsyncWebsocketConsumer


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        params = parse_qs(self.scope["query_string"].decode("latin-1"))
        user_id = int(params.get("user", ["0"])[0])
        self.sender = {"id": user_id, "username": f"bench{user_id}", "display_name": f"Bench {user_id}"}
        self.rooms = [int(room) for room in params.get("room", [])]
        for room in self.rooms:
            await self.channel_layer.group_add(f"room.{room}", self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for room in self.rooms:
            await self.channel_layer.group_discard(f"room.{room}", self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        data = json.loads(text_data or "{}")
        if data.get("type") == "ping":
            await self.send(text_data=json.dumps({"type": "pong"}))
            return
        if data.get("type") != "message.send" or data.get("conversation") not in self.rooms:
            await self.send(text_data=json.dumps({"type": "error", "code": "invalid", "ref": None}))
            return
        message = {
            "id": str(uuid4()),
            "conversation": data["conversation"],
            "sender": self.sender,
            "body": data["body"],
            "client_id": data["client_id"],
            "created_at": datetime.now(tz=UTC).isoformat(),
        }
        await self.channel_layer.group_send(
            f"room.{data['conversation']}", {"type": "chat.message", "message": message}
        )
        await self.send(
            text_data=json.dumps({"type": "message.ack", "client_id": data["client_id"], "message": message})
        )

    async def chat_message(self, event):
        await self.send(text_data=json.dumps({"type": "message.new", "message": event["message"]}))
